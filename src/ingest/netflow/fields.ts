/**
 * Information elements botscope reads from NetFlow v9 and IPFIX records, and templates compiled for
 * decoding. v9 field types and IPFIX IANA element ids share numbers for everything below. Enterprise
 * elements are skipped by length, except RFC 5103's reverse counters (PEN 29305), which carry the
 * destination's packets and bytes of a biflow.
 */

export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  ipClassOfService: 5,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  egressInterface: 14,
  flowEndSysUpTime: 21,
  flowStartSysUpTime: 22,
  postOctetDeltaCount: 23,
  postPacketDeltaCount: 24,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  icmpTypeCodeIPv4: 32,
  samplingInterval: 34,
  samplingAlgorithm: 35,
  samplerId: 48,
  samplerRandomInterval: 50,
  postIpClassOfService: 55,
  flowDirection: 61,
  octetTotalCount: 85,
  packetTotalCount: 86,
  icmpTypeCodeIPv6: 139,
  flowStartSeconds: 150,
  flowEndSeconds: 151,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  flowStartMicroseconds: 154,
  flowEndMicroseconds: 155,
  flowStartNanoseconds: 156,
  flowEndNanoseconds: 157,
  flowStartDeltaMicroseconds: 158,
  flowEndDeltaMicroseconds: 159,
  systemInitTimeMilliseconds: 160,
  selectorId: 302,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

/** Codes (above every IANA id we read) of the enterprise elements we read. */
export const REVERSE_OCTETS = 0x8001;
export const REVERSE_PACKETS = 0x8002;
/** RFC 5103's private enterprise number of reverse elements. */
const REVERSE_PEN = 29305;

/** IPFIX variable-length marker. */
export const VARIABLE = 65535;

/** A template, compiled: per field the element code (0: skip) and the length (VARIABLE: IPFIX varlen). */
export interface Template {
  id: number;
  codes: Uint16Array;
  lengths: Uint16Array;
  /** Bytes of one record, variable fields counted as their 1-byte minimum. */
  minLength: number;
  variable: boolean;
  /** Options templates: the leading scope fields (their values are not read). */
  scopeCount: number;
  /** The set bytes it was read from, to tell a refresh from a changed layout. */
  signature: string;
}

/** The code a (possibly enterprise) element is decoded by; 0 for elements not read. */
export function elementCode(id: number, enterprise: number): number {
  if (enterprise === 0) return id < 0x8000 ? id : 0;
  if (enterprise === REVERSE_PEN) {
    if (id === IE.octetDeltaCount) return REVERSE_OCTETS;
    if (id === IE.packetDeltaCount) return REVERSE_PACKETS;
  }
  return 0;
}

/** Builds a template from parsed field lists; null when no record of it could carry a byte. */
export function makeTemplate(
  id: number,
  codes: number[],
  lengths: number[],
  scopeCount: number,
  signature: string,
): Template | null {
  let minLength = 0;
  let variable = false;
  for (const l of lengths) {
    if (l === VARIABLE) {
      variable = true;
      minLength += 1;
    } else minLength += l;
  }
  if (minLength === 0) return null;
  return {
    id,
    codes: Uint16Array.from(codes),
    lengths: Uint16Array.from(lengths),
    minLength,
    variable,
    scopeCount,
    signature,
  };
}
