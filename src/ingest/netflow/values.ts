/**
 * One v9/IPFIX data record: its fields read by template into a scratch of numbers and byte offsets (no
 * allocation per field), then turned into a Flow the way nfdump records it, so flows collected here
 * and flows read from nfcapd files through nfdump agree: protocol by name, nfdump's 8-letter TCP flag
 * string ("...AP.S."), absent ports and ToS as 0, destination counts from post/reverse counters,
 * times from whichever time elements the record has.
 */
import { ipv6 } from "../capture/decode.ts";
import type { Flow } from "../flows/record.ts";
import { protoName } from "../flows/scan.ts";
import { IE, REVERSE_OCTETS, REVERSE_PACKETS, type Template, VARIABLE } from "./fields.ts";

/** Seconds from the NTP epoch (1900) to the Unix epoch. */
const NTP_UNIX = 2208988800;

/** Lower-case protocol names by number, as the flow readers name them. */
export const PROTO_NAMES: string[] = Array.from({ length: 256 }, (_, i) => {
  const s = String(i);
  return protoName(s, 0, s.length);
});

/** nfdump's TCP flag letters by flags byte: C E U A P R S F, "." for a clear bit. */
export const FLAG_STRINGS: string[] = Array.from({ length: 256 }, (_, b) => {
  let s = "";
  for (let bit = 7; bit >= 0; bit--) s += b & (1 << bit) ? "CEUAPRSF"[7 - bit] : ".";
  return s;
});

/** A big-endian unsigned integer of 1 to 8 bytes (reduced-size encoding); beyond 2^53 approximate. */
export function readUint(b: Uint8Array, o: number, n: number): number {
  switch (n) {
    case 1:
      return b[o];
    case 2:
      return (b[o] << 8) | b[o + 1];
    case 4:
      return b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
    case 8:
      return (
        (b[o] * 16777216 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])) * 4294967296 +
        (b[o + 4] * 16777216 + ((b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7]))
      );
  }
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[o + i];
  return v;
}

/** An IPv4 address at b[o]. */
export function ipv4At(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** NTP timestamp (seconds since 1900 + 2^-32 fraction) at b[o], as Unix milliseconds. */
function ntpMs(b: Uint8Array, o: number): number {
  return (readUint(b, o, 4) - NTP_UNIX) * 1000 + (readUint(b, o + 4, 4) / 4294967296) * 1000;
}

/** What a record's times are relative to. */
export interface TimeBase {
  /** Export time of the datagram, Unix ms. */
  exportMs: number;
  /** v9: the exporter's uptime at export (ms); NaN for IPFIX. */
  sysUptime: number;
  /** IPFIX: the exporter's boot time (systemInitTimeMilliseconds), NaN when not announced. */
  sysInitMs: number;
}

export class RecordValues {
  bytes = 0;
  packets = 0;
  outBytes = 0;
  outPackets = 0;
  totalBytes = Number.NaN;
  totalPackets = Number.NaN;
  proto = 0;
  tos = 0;
  dtos = 0;
  flags = 0;
  sport = 0;
  dport = 0;
  icmp = -1;
  /** Offsets of the addresses in the record's bytes; -1 when absent. */
  src4 = -1;
  dst4 = -1;
  src6 = -1;
  dst6 = -1;
  /** Relative (sysUpTime) times, ms. */
  firstUp = Number.NaN;
  lastUp = Number.NaN;
  /** Absolute times, Unix ms. */
  startMs = Number.NaN;
  endMs = Number.NaN;
  /** Microseconds before export. */
  startDeltaUs = Number.NaN;
  endDeltaUs = Number.NaN;
  /** Options and per-record sampling. */
  samplingInterval = Number.NaN;
  samplerId = Number.NaN;
  packetInterval = Number.NaN;
  packetSpace = Number.NaN;
  sysInitMs = Number.NaN;

  reset(): void {
    this.bytes = 0;
    this.packets = 0;
    this.outBytes = 0;
    this.outPackets = 0;
    this.totalBytes = Number.NaN;
    this.totalPackets = Number.NaN;
    this.proto = 0;
    this.tos = 0;
    this.dtos = 0;
    this.flags = 0;
    this.sport = 0;
    this.dport = 0;
    this.icmp = -1;
    this.src4 = -1;
    this.dst4 = -1;
    this.src6 = -1;
    this.dst6 = -1;
    this.firstUp = Number.NaN;
    this.lastUp = Number.NaN;
    this.startMs = Number.NaN;
    this.endMs = Number.NaN;
    this.startDeltaUs = Number.NaN;
    this.endDeltaUs = Number.NaN;
    this.samplingInterval = Number.NaN;
    this.samplerId = Number.NaN;
    this.packetInterval = Number.NaN;
    this.packetSpace = Number.NaN;
    this.sysInitMs = Number.NaN;
  }

  /**
   * Reads one record at b[o] (which must end by `end`) into this scratch; the offset after it, or -1
   * when a field runs past the end.
   */
  read(b: Uint8Array, o: number, end: number, t: Template): number {
    this.reset();
    const codes = t.codes;
    const lengths = t.lengths;
    const n = codes.length;
    for (let i = 0; i < n; i++) {
      let len = lengths[i];
      if (len === VARIABLE) {
        if (o >= end) return -1;
        len = b[o++];
        if (len === 255) {
          if (o + 2 > end) return -1;
          len = (b[o] << 8) | b[o + 1];
          o += 2;
        }
      }
      if (o + len > end) return -1;
      const code = codes[i];
      if (code !== 0 && len > 0) this.field(code, b, o, len);
      o += len;
    }
    return o;
  }

  private field(code: number, b: Uint8Array, o: number, len: number): void {
    switch (code) {
      case IE.octetDeltaCount:
        this.bytes = readUint(b, o, len);
        break;
      case IE.packetDeltaCount:
        this.packets = readUint(b, o, len);
        break;
      case IE.octetTotalCount:
        this.totalBytes = readUint(b, o, len);
        break;
      case IE.packetTotalCount:
        this.totalPackets = readUint(b, o, len);
        break;
      case IE.postOctetDeltaCount:
      case REVERSE_OCTETS:
        this.outBytes = readUint(b, o, len);
        break;
      case IE.postPacketDeltaCount:
      case REVERSE_PACKETS:
        this.outPackets = readUint(b, o, len);
        break;
      case IE.protocolIdentifier:
        this.proto = b[o];
        break;
      case IE.ipClassOfService:
        this.tos = b[o];
        break;
      case IE.postIpClassOfService:
        this.dtos = b[o];
        break;
      case IE.tcpControlBits:
        // 2 bytes in IPFIX (with the header-length nibble and NS), 1 in v9: the classic 8 are the last byte
        this.flags = b[o + len - 1];
        break;
      case IE.sourceTransportPort:
        this.sport = readUint(b, o, len);
        break;
      case IE.destinationTransportPort:
        this.dport = readUint(b, o, len);
        break;
      case IE.icmpTypeCodeIPv4:
      case IE.icmpTypeCodeIPv6:
        this.icmp = readUint(b, o, len);
        break;
      case IE.sourceIPv4Address:
        if (len === 4) this.src4 = o;
        break;
      case IE.destinationIPv4Address:
        if (len === 4) this.dst4 = o;
        break;
      case IE.sourceIPv6Address:
        if (len === 16) this.src6 = o;
        break;
      case IE.destinationIPv6Address:
        if (len === 16) this.dst6 = o;
        break;
      case IE.flowStartSysUpTime:
        this.firstUp = readUint(b, o, len);
        break;
      case IE.flowEndSysUpTime:
        this.lastUp = readUint(b, o, len);
        break;
      case IE.flowStartSeconds:
        this.startMs = readUint(b, o, len) * 1000;
        break;
      case IE.flowEndSeconds:
        this.endMs = readUint(b, o, len) * 1000;
        break;
      case IE.flowStartMilliseconds:
        this.startMs = readUint(b, o, len);
        break;
      case IE.flowEndMilliseconds:
        this.endMs = readUint(b, o, len);
        break;
      case IE.flowStartMicroseconds:
      case IE.flowStartNanoseconds:
        if (len === 8) this.startMs = ntpMs(b, o);
        break;
      case IE.flowEndMicroseconds:
      case IE.flowEndNanoseconds:
        if (len === 8) this.endMs = ntpMs(b, o);
        break;
      case IE.flowStartDeltaMicroseconds:
        this.startDeltaUs = readUint(b, o, len);
        break;
      case IE.flowEndDeltaMicroseconds:
        this.endDeltaUs = readUint(b, o, len);
        break;
      case IE.systemInitTimeMilliseconds:
        this.sysInitMs = readUint(b, o, len);
        break;
      case IE.samplingInterval:
      case IE.samplerRandomInterval:
        this.samplingInterval = readUint(b, o, len);
        break;
      case IE.samplerId:
      case IE.selectorId:
        this.samplerId = readUint(b, o, len);
        break;
      case IE.samplingPacketInterval:
        this.packetInterval = readUint(b, o, len);
        break;
      case IE.samplingPacketSpace:
        this.packetSpace = readUint(b, o, len);
        break;
    }
  }

  /** The sampling interval an options record announces (1-in-N); NaN when it announces none. */
  announcedInterval(): number {
    if (this.samplingInterval > 0) return this.samplingInterval;
    if (this.packetInterval > 0)
      return (this.packetInterval + (this.packetSpace > 0 ? this.packetSpace : 0)) / this.packetInterval;
    return Number.NaN;
  }

  /** Whether the record has an address pair (a flow record, not an options record). */
  hasAddresses(): boolean {
    return (this.src4 >= 0 || this.src6 >= 0) && (this.dst4 >= 0 || this.dst6 >= 0);
  }

  /** The flow of a record read from b, counts scaled by the sampling interval. */
  toFlow(b: Uint8Array, base: TimeBase, rate: number): Flow {
    let startMs = this.startMs;
    let endMs = this.endMs;
    if (Number.isNaN(startMs)) {
      if (!Number.isNaN(this.firstUp)) {
        // v9: relative to the uptime in the header; IPFIX: to the announced boot time
        const boot = Number.isNaN(base.sysUptime)
          ? Number.isNaN(base.sysInitMs)
            ? base.exportMs
            : base.sysInitMs
          : base.exportMs - base.sysUptime;
        startMs = boot + this.firstUp;
        if (!Number.isNaN(this.lastUp))
          endMs = boot + this.lastUp + (this.lastUp < this.firstUp ? 4294967296 : 0);
      } else if (!Number.isNaN(this.startDeltaUs)) {
        startMs = base.exportMs - this.startDeltaUs / 1000;
        if (!Number.isNaN(this.endDeltaUs)) endMs = base.exportMs - this.endDeltaUs / 1000;
      } else startMs = base.exportMs;
    }
    if (Number.isNaN(endMs) || endMs < startMs) endMs = startMs;
    const bytes = (this.bytes || (this.totalBytes > 0 ? this.totalBytes : 0)) * rate;
    const packets = (this.packets || (this.totalPackets > 0 ? this.totalPackets : 0)) * rate;
    const outBytes = this.outBytes * rate;
    const outPackets = this.outPackets * rate;
    const icmp = this.icmp >= 0 && (this.proto === 1 || this.proto === 58);
    return {
      start: startMs / 1000,
      duration: (endMs - startMs) / 1000,
      proto: PROTO_NAMES[this.proto],
      srcAddr: this.src4 >= 0 ? ipv4At(b, this.src4) : ipv6(b, this.src6),
      srcPort: icmp ? 0 : this.sport,
      dir: "->",
      dstAddr: this.dst4 >= 0 ? ipv4At(b, this.dst4) : ipv6(b, this.dst6),
      dstPort: icmp ? this.icmp : this.dport,
      state: FLAG_STRINGS[this.flags],
      sTos: this.tos,
      dTos: this.dtos,
      totPkts: packets + outPackets,
      totBytes: bytes + outBytes,
      srcBytes: bytes,
      srcPkts: packets,
      dstPkts: outPackets,
      label: null,
      extra: null,
    };
  }
}
