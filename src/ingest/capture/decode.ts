/**
 * Packet decoding down to the transport header, in place: no strings or objects per packet, only
 * numbers and offsets into the packet's buffer. Link layers: Ethernet (802.1Q/802.1ad tags), Linux
 * cooked capture (SLL, SLL2), BSD loopback (NULL, LOOP), raw IP (RAW, IPV4, IPV6, DLT_RAW 12/14).
 * Network: IPv4, IPv6 (extension headers skipped), ARP. Transport: TCP, UDP ports and flags, ICMP and
 * ICMPv6 type, code, echo identifier and, for ICMP errors, what Argus keys them on (see icmpDetail).
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

/** Pseudo protocol number of ARP packets (IP protocol numbers stop at 255). */
export const PROTO_ARP = 0x806;

/** What decoding made of a packet. */
export type DecodeResult =
  | "ok"
  /** Neither IP nor ARP (LLDP, STP, ...). */
  | "non-ip"
  | "unknown-link"
  /** Captured bytes end before the addresses or the ports a flow needs. */
  | "truncated"
  /** Not a valid IP header (wrong version, header length). */
  | "bad-ip";

/** The decoded fields of one packet (one scratch object, overwritten per packet). */
export interface Decoded {
  /** 4 or 6; 4 for ARP (IPv4 addresses). */
  ipVersion: number;
  /** IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, other), PROTO_ARP for ARP. */
  proto: number;
  /** Offsets of the source and destination addresses (4 or 16 bytes) in the packet's buffer. */
  src: number;
  dst: number;
  /** TCP/UDP ports (0 when the header was cut off before them or in a non-first fragment). */
  sport: number;
  dport: number;
  /** Whether the ports were read (TCP/UDP). */
  hasPorts: boolean;
  /** TCP flags byte (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128); 0 when cut off. */
  tcpFlags: number;
  /** TCP sequence and acknowledgement numbers (0 when cut off). */
  tcpSeq: number;
  tcpAck: number;
  /** TCP payload bytes, from the IP length fields (not the captured length). */
  tcpLen: number;
  /** ICMP/ICMPv6 type and code; -1 otherwise. ARP: the operation (1 request, 2 reply) as type. */
  icmpType: number;
  icmpCode: number;
  /** ICMP echo (and other request/reply) identifier, -1 when there is none. */
  icmpId: number;
  /**
   * ICMPv4 errors, what Argus tells them apart by: port unreachable the refused datagram's destination
   * port, protocol unreachable its protocol, net/host unreachable and redirect its destination address
   * (as an unsigned 32-bit number); 0 for other messages or when the quoted header is cut off.
   */
  icmpDetail: number;
  /** DNS over UDP (port 53 on either side): the message's transaction id, which Argus keys on; else -1. */
  dnsId: number;
  tos: number;
  ttl: number;
  /** 0 not fragmented, 1 first fragment of several, 2 a later fragment (no transport header). */
  fragment: number;
  /** IP identification (IPv4 16 bits, IPv6 fragment header 32 bits); fragments only. */
  ipId: number;
  /** The transport header was cut off by the snap length (fields past the cut read as 0). */
  partial: boolean;
}

export function emptyDecoded(): Decoded {
  return {
    ipVersion: 0,
    proto: 0,
    src: 0,
    dst: 0,
    sport: 0,
    dport: 0,
    hasPorts: false,
    tcpFlags: 0,
    tcpSeq: 0,
    tcpAck: 0,
    tcpLen: 0,
    icmpType: -1,
    icmpCode: -1,
    icmpId: -1,
    icmpDetail: 0,
    dnsId: -1,
    tos: 0,
    ttl: 0,
    fragment: 0,
    ipId: 0,
    partial: false,
  };
}

/** Dotted text of the IPv4 address at `o`. */
export function ipv4(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text of 16 bytes: lower-case hex, longest run (of 2 or more) of zero groups as "::". */
export function ipv6(b: Uint8Array, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return `::ffff:${ipv4(b, o + 12)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;

/** Decodes the packet in b[start, end) into `d`. */
export function decodePacket(
  linkType: number,
  b: Uint8Array,
  start: number,
  end: number,
  d: Decoded,
): DecodeResult {
  let o = start;
  let ethType: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (end < o + 14) return "truncated";
      ethType = (b[o + 12] << 8) | b[o + 13];
      o += 14;
      while (ethType === 0x8100 || ethType === 0x88a8 || ethType === 0x9100) {
        if (end < o + 4) return "truncated";
        ethType = (b[o + 2] << 8) | b[o + 3];
        o += 4;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (end < o + 16) return "truncated";
      ethType = (b[o + 14] << 8) | b[o + 15];
      o += 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (end < o + 20) return "truncated";
      ethType = (b[o] << 8) | b[o + 1];
      o += 20;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (end < o + 4) return "truncated";
      // the address family: LOOP in network byte order, NULL in the capturing machine's
      const fam = linkType === LINKTYPE_LOOP ? b[o + 3] : b[o] !== 0 ? b[o] : b[o + 3];
      ethType = fam === 2 ? ETH_IPV4 : fam === 24 || fam === 28 || fam === 30 ? ETH_IPV6 : 0;
      o += 4;
      break;
    }
    case LINKTYPE_RAW:
    case 12:
    case 14:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      if (end < o + 1) return "truncated";
      ethType = b[o] >> 4 === 6 ? ETH_IPV6 : ETH_IPV4;
      break;
    default:
      return "unknown-link";
  }
  if (ethType === ETH_IPV4) return decodeIpv4(b, o, end, d);
  if (ethType === ETH_IPV6) return decodeIpv6(b, o, end, d);
  if (ethType === ETH_ARP) return decodeArp(b, o, end, d);
  return "non-ip";
}

function reset(d: Decoded): void {
  d.sport = 0;
  d.dport = 0;
  d.hasPorts = false;
  d.tcpFlags = 0;
  d.tcpSeq = 0;
  d.tcpAck = 0;
  d.tcpLen = 0;
  d.icmpType = -1;
  d.icmpCode = -1;
  d.icmpId = -1;
  d.icmpDetail = 0;
  d.dnsId = -1;
  d.fragment = 0;
  d.ipId = 0;
  d.partial = false;
}

function decodeArp(b: Uint8Array, o: number, end: number, d: Decoded): DecodeResult {
  // Ethernet/IPv4 ARP only: hardware length 6, protocol length 4
  if (end < o + 28) return "truncated";
  if (b[o + 4] !== 6 || b[o + 5] !== 4 || ((b[o + 2] << 8) | b[o + 3]) !== ETH_IPV4) return "non-ip";
  reset(d);
  d.ipVersion = 4;
  d.proto = PROTO_ARP;
  d.tos = 0;
  d.ttl = 0;
  d.icmpType = (b[o + 6] << 8) | b[o + 7];
  d.src = o + 14;
  d.dst = o + 24;
  return "ok";
}

function decodeIpv4(b: Uint8Array, o: number, end: number, d: Decoded): DecodeResult {
  if (end < o + 20) return "truncated";
  if (b[o] >> 4 !== 4) return "bad-ip";
  const ihl = (b[o] & 15) * 4;
  if (ihl < 20) return "bad-ip";
  reset(d);
  d.ipVersion = 4;
  d.tos = b[o + 1];
  d.ttl = b[o + 8];
  d.proto = b[o + 9];
  d.src = o + 12;
  d.dst = o + 16;
  const more = b[o + 6] & 0x20;
  const fragOffset = ((b[o + 6] & 0x1f) << 8) | b[o + 7];
  if (fragOffset !== 0 || more) {
    d.ipId = (b[o + 4] << 8) | b[o + 5];
    if (fragOffset !== 0) {
      d.fragment = 2;
      return "ok";
    }
    d.fragment = 1;
  }
  if (end < o + ihl) return "truncated";
  // TCP payload from the IP length (0 there: segmentation offload on the capturing host; the capture)
  const total = (b[o + 2] << 8) | b[o + 3];
  return transport(b, o + ihl, end, total >= ihl ? o + total : end, d);
}

function decodeIpv6(b: Uint8Array, o: number, end: number, d: Decoded): DecodeResult {
  if (end < o + 40) return "truncated";
  if (b[o] >> 4 !== 6) return "bad-ip";
  reset(d);
  d.ipVersion = 6;
  d.tos = ((b[o] & 15) << 4) | (b[o + 1] >> 4);
  d.ttl = b[o + 7];
  d.src = o + 8;
  d.dst = o + 24;
  let next = b[o + 6];
  const payload = (b[o + 4] << 8) | b[o + 5];
  const ipEnd = payload > 0 ? o + 40 + payload : end;
  o += 40;
  // extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60, mobility 135,
  // HIP 139, shim6 140, AH 51 (length in 4-byte units). Each one moves on by 8 bytes or more, so a
  // chain of any length ends at the end of the captured bytes.
  for (;;) {
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      if (end < o + 8) return "truncated";
      next = b[o];
      o += 8 + b[o + 1] * 8;
    } else if (next === 44) {
      if (end < o + 8) return "truncated";
      const n = b[o];
      const fragOffset = ((b[o + 2] << 8) | b[o + 3]) >> 3;
      d.ipId = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
      d.fragment = fragOffset !== 0 ? 2 : 1;
      o += 8;
      next = n;
      if (d.fragment === 2) {
        d.proto = next;
        return "ok";
      }
    } else if (next === 51) {
      if (end < o + 8) return "truncated";
      next = b[o];
      o += (b[o + 1] + 2) * 4;
    } else break;
  }
  d.proto = next;
  return transport(b, o, end, ipEnd, d);
}

/** ICMPv4 types that come in request/reply pairs with an identifier (echo, timestamp, info, mask). */
function icmpPair(type: number): boolean {
  return type === 8 || type === 0 || (type >= 13 && type <= 18);
}

/** The transport header at `o`; the captured bytes end at `end`, the IP packet at `ipEnd`. */
function transport(b: Uint8Array, o: number, end: number, ipEnd: number, d: Decoded): DecodeResult {
  switch (d.proto) {
    case 6:
    case 17: {
      if (end < o + 4) {
        if (d.fragment === 0) return "truncated";
        // a first fragment cut before its ports still belongs to the flow its later fragments join
        d.partial = true;
        return "ok";
      }
      d.sport = (b[o] << 8) | b[o + 1];
      d.dport = (b[o + 2] << 8) | b[o + 3];
      d.hasPorts = true;
      if (d.proto === 6) {
        if (end < o + 14) d.partial = true;
        else {
          d.tcpFlags = b[o + 13];
          d.tcpSeq = ((b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]) >>> 0;
          d.tcpAck = ((b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]) >>> 0;
          d.tcpLen = Math.max(0, ipEnd - o - (b[o + 12] >> 4) * 4);
        }
      } else if ((d.sport === 53 || d.dport === 53) && end >= o + 10) d.dnsId = (b[o + 8] << 8) | b[o + 9];
      return "ok";
    }
    case 1:
    case 58: {
      if (end < o + 2) return "truncated";
      const type = b[o];
      d.icmpType = type;
      d.icmpCode = b[o + 1];
      if (d.proto === 1 ? icmpPair(type) : type === 128 || type === 129) {
        if (end < o + 6) d.partial = true;
        else d.icmpId = (b[o + 4] << 8) | b[o + 5];
      } else if (d.proto === 1) d.icmpDetail = icmpErrorDetail(b, o, end, type, d.icmpCode);
      return "ok";
    }
    default:
      return "ok";
  }
}

/** See Decoded.icmpDetail; `o` is the ICMP header, the quoted IP header starts 8 bytes later. */
function icmpErrorDetail(b: Uint8Array, o: number, end: number, type: number, code: number): number {
  const q = o + 8;
  if (type === 5 || (type === 3 && (code === 0 || code === 1))) {
    if (end < q + 20) return 0;
    return ((b[q + 16] << 24) | (b[q + 17] << 16) | (b[q + 18] << 8) | b[q + 19]) >>> 0;
  }
  if (type !== 3) return 0;
  if (code === 2) return end < q + 10 ? 0 : b[q + 9];
  if (code !== 3 || end < q + 1) return 0;
  const ihl = (b[q] & 15) * 4;
  if (ihl < 20 || end < q + ihl + 4) return 0;
  return (b[q + ihl + 2] << 8) | b[q + ihl + 3];
}
