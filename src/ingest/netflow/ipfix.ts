/**
 * IPFIX (RFC 7011): a 16-byte message header (version 10, length, export seconds, data record sequence,
 * observation domain) and sets: 2 templates, 3 options templates, 256 and up data.
 */
import type { MalformedReason } from "./stats.ts";
import type { ExportStream } from "./stream.ts";
import { readUint, type TimeBase } from "./values.ts";

export const IPFIX_HEADER = 16;

export function ipfixDomain(b: Uint8Array): number {
  return readUint(b, 12, 4);
}

export function ipfixSequence(b: Uint8Array): number {
  return readUint(b, 8, 4);
}

/**
 * Decodes the sets of a message of `end` bytes (at least IPFIX_HEADER). Returns the data records
 * decoded (-1 when a set waits for its template, so the count is unknown) or the damage.
 */
export function decodeIpfix(
  b: Uint8Array,
  end: number,
  s: ExportStream,
  base: TimeBase,
): number | MalformedReason {
  base.exportMs = readUint(b, 4, 4) * 1000;
  base.sysUptime = Number.NaN;
  base.sysInitMs = s.sysInitMs;
  let records = 0;
  let o = IPFIX_HEADER;
  while (o < end) {
    if (end - o < 4) return "bad-set";
    const id = (b[o] << 8) | b[o + 1];
    const len = (b[o + 2] << 8) | b[o + 3];
    if (len < 4 || o + len > end) return "bad-set";
    const setEnd = o + len;
    if (id === 2 || id === 3) {
      const bad = s.readTemplates(b, o + 4, setEnd, id === 3);
      if (bad) return bad;
    } else if (id >= 256) {
      const r = s.dataSet(b, o + 4, setEnd, id, base);
      if (typeof r === "string") return r;
      records = r < 0 || records < 0 ? -1 : records + r;
    }
    o = setEnd;
  }
  return records;
}
