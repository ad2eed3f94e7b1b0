/**
 * NetFlow v5: a 24-byte header (record count, exporter uptime, export time, flow sequence, engine,
 * sampling) and fixed 48-byte IPv4 records whose times are uptime milliseconds. Times are made absolute
 * as nfdump makes them (boot = export time in ms, nanoseconds cut to ms, minus uptime), so they agree
 * to the millisecond with nfcapd files of the same export.
 */
import type { Flow } from "../flows/record.ts";
import type { CollectorStats, MalformedReason } from "./stats.ts";
import { FLAG_STRINGS, ipv4At, PROTO_NAMES, readUint } from "./values.ts";

export const V5_HEADER = 24;
export const V5_RECORD = 48;

/** The header fields the decoder needs to track an export stream's sequence. */
export interface V5Header {
  count: number;
  sequence: number;
  engine: number;
}

/** Reads the header; the damage when the datagram cannot hold it or its records. */
export function v5Header(b: Uint8Array, h: V5Header): MalformedReason | undefined {
  if (b.length < V5_HEADER) return "truncated";
  h.count = (b[2] << 8) | b[3];
  if (V5_HEADER + h.count * V5_RECORD > b.length) return "truncated";
  h.sequence = readUint(b, 16, 4);
  h.engine = (b[20] << 8) | b[21];
  return undefined;
}

/** Decodes the records of a datagram whose header v5Header accepted. */
export function decodeV5(
  b: Uint8Array,
  count: number,
  stats: CollectorStats,
  applySampling: boolean,
  emit: (f: Flow) => void,
): void {
  const uptime = readUint(b, 4, 4);
  const boot = readUint(b, 8, 4) * 1000 + Math.floor(readUint(b, 12, 4) / 1e6) - uptime;
  // the top two bits are the sampling mode, the other 14 the interval
  const interval = ((b[22] << 8) | b[23]) & 0x3fff;
  const rate = applySampling && interval > 1 ? interval : 1;
  for (let i = 0, o = V5_HEADER; i < count; i++, o += V5_RECORD) {
    const first = readUint(b, o + 24, 4);
    const last = readUint(b, o + 28, 4);
    const packets = readUint(b, o + 16, 4) * rate;
    const bytes = readUint(b, o + 20, 4) * rate;
    stats.records++;
    stats.v5.records++;
    emit({
      start: (boot + first) / 1000,
      duration: (last - first + (last < first ? 4294967296 : 0)) / 1000,
      proto: PROTO_NAMES[b[o + 38]],
      srcAddr: ipv4At(b, o),
      srcPort: (b[o + 32] << 8) | b[o + 33],
      dir: "->",
      dstAddr: ipv4At(b, o + 4),
      dstPort: (b[o + 34] << 8) | b[o + 35],
      state: FLAG_STRINGS[b[o + 37]],
      sTos: b[o + 39],
      dTos: 0,
      totPkts: packets,
      totBytes: bytes,
      srcBytes: bytes,
      srcPkts: packets,
      dstPkts: 0,
      label: null,
      extra: null,
    });
  }
}
