/**
 * NetFlow v9 (RFC 3954): a 20-byte header (count, exporter uptime, export seconds, export packet
 * sequence, source id) and flowsets: 0 templates, 1 options templates, 256 and up data.
 */
import type { MalformedReason } from "./stats.ts";
import type { ExportStream } from "./stream.ts";
import { readUint, type TimeBase } from "./values.ts";

export const V9_HEADER = 20;

/** The source id of a v9 datagram of at least V9_HEADER bytes. */
export function v9SourceId(b: Uint8Array): number {
  return readUint(b, 16, 4);
}

export function v9Sequence(b: Uint8Array): number {
  return readUint(b, 12, 4);
}

/** Decodes the flowsets of a datagram of at least V9_HEADER bytes; returns the damage, if any. */
export function decodeV9(b: Uint8Array, s: ExportStream, base: TimeBase): MalformedReason | undefined {
  base.sysUptime = readUint(b, 4, 4);
  base.exportMs = readUint(b, 8, 4) * 1000;
  base.sysInitMs = Number.NaN;
  let o = V9_HEADER;
  // a flowset header needs 4 bytes; fewer at the end is padding some exporters add
  while (b.length - o >= 4) {
    const id = (b[o] << 8) | b[o + 1];
    const len = (b[o + 2] << 8) | b[o + 3];
    if (len < 4 || o + len > b.length) return "bad-set";
    const end = o + len;
    if (id === 0 || id === 1) {
      const bad = s.readTemplates(b, o + 4, end, id === 1);
      if (bad) return bad;
    } else if (id >= 256) {
      const r = s.dataSet(b, o + 4, end, id, base);
      if (typeof r === "string") return r;
    }
    o = end;
  }
  return undefined;
}
