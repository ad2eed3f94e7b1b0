/**
 * Streaming reader of capture files: classic pcap (either byte order, micro- or nanosecond timestamps)
 * and pcapng (SHB, IDB, EPB, SPB; per-interface link type and timestamp resolution, sections of either
 * byte order). Bytes are fed in chunks of any size and parsed in place: every complete packet record
 * goes to a callback as a view of the chunk (no copy, no object per packet).
 * Damaged input is counted, never fatal: a record header that cannot be right (a pcap length over the
 * limit, a pcapng block whose trailing length disagrees) makes the reader skip forward byte by byte to
 * the next plausible record, counting the skipped bytes as garbage; an incomplete record at the end is
 * counted as a truncated record.
 */
import { UserError } from "../../core/errors.ts";

/**
 * One packet record: the captured bytes are buf[start, start + caplen) (valid only during the
 * callback; the buffer is reused).
 */
export interface PacketRecord {
  /** Epoch seconds, sub-second. */
  ts: number;
  /** The link type (LINKTYPE_*) of the packet's interface. */
  linkType: number;
  buf: Uint8Array;
  start: number;
  caplen: number;
  /** Length on the wire. */
  origLen: number;
}

/**
 * Takes plain records of classic little-endian pcap chunks in bulk, without the callback (the capture
 * kernel with its flow table): from p up to the first record it leaves, whose offset it returns.
 */
export interface RecordScanner {
  /** Whether it reads records of this link type in `b` (called per chunk). */
  takes(b: Uint8Array, linkType: number): boolean;
  scan(b: Uint8Array, p: number, end: number, lastTs: number, units: number, snap: number): number;
  /** Set by scan: records taken and the time of the last. */
  count: number;
  lastTs: number;
}

export interface PacketReaderStats {
  /** "pcap" or "pcapng". */
  format: string;
  records: number;
  /** Bytes skipped while looking for the next plausible record (garbage, damaged headers). */
  garbageBytes: number;
  /** Places where garbage started (one per resynchronisation). */
  garbageRuns: number;
  /** An incomplete record at the end of the input. */
  truncatedRecords: number;
  /** pcapng blocks of other types (name resolution, statistics, ...), skipped. */
  otherBlocks: number;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const BOM = 0x1a2b3c4d;
/** Records further apart in time are taken for damage. */
const WEEK = 86400 * 7;
const DAY = 86400;
const YES = 1;
const NO = 0;
const WAIT = 2;
const UNKNOWN = 3;

const ETHER_TYPES = new Set([0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x9100, 0x8035, 0x88cc, 0x8863, 0x8864]);

/**
 * Whether the `cap` bytes at `o` start like a packet of this link type (a known EtherType, an IP
 * version, an address family): garbage rarely does, so records found after damage must.
 */
function linkHeaderLooksRight(b: Uint8Array, o: number, cap: number, link: number): boolean {
  switch (link) {
    case 1:
      return cap >= 14 && ETHER_TYPES.has((b[o + 12] << 8) | b[o + 13]);
    case 113:
      return cap >= 16 && ETHER_TYPES.has((b[o + 14] << 8) | b[o + 15]);
    case 276:
      return cap >= 20 && ETHER_TYPES.has((b[o] << 8) | b[o + 1]);
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      return cap >= 20 && (b[o] >> 4 === 4 || b[o] >> 4 === 6);
    case 0:
    case 108: {
      if (cap < 24) return false;
      const fam = link === 108 ? b[o + 3] : b[o] !== 0 ? b[o] : b[o + 3];
      return fam === 2 || fam === 24 || fam === 28 || fam === 30;
    }
    default:
      return cap > 0;
  }
}

/** How far ahead of the record being parsed the chunk is read (see parsePcap). */
const PREFETCH_BYTES = 16384;
/** Bytes of a new chunk appended at a time to complete a record cut by the previous chunk's end (few: the rest of the chunk is parsed in place, where the kernel reads it). */
const STITCH_BYTES = 4096;
/** Larger captured lengths are taken for damage (pcap's own maximum snap length is 262144). */
const MAX_CAPLEN = 262144 * 4;

/** The first four bytes of the formats, in both byte orders. */
const MAGIC_BYTES = [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAPNG_SHB].flatMap((m) => [
  [m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255],
  [m & 255, (m >>> 8) & 255, (m >>> 16) & 255, m >>> 24],
]);

/** The capture format bytes start with, or undefined. */
export function captureMagic(b: Uint8Array): "pcap" | "pcapng" | undefined {
  if (b.length < 4) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dv.getUint32(0, true);
  const be = dv.getUint32(0, false);
  if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS)
    return "pcap";
  if (le === PCAPNG_SHB) return "pcapng";
  return undefined;
}

interface Iface {
  linkType: number;
  /** Timestamp units per second. */
  unitsPerSec: number;
  /** pcapng if_tsoffset, seconds. */
  offset: number;
}

export class PacketReader {
  readonly stats: PacketReaderStats = {
    format: "",
    records: 0,
    garbageBytes: 0,
    garbageRuns: 0,
    truncatedRecords: 0,
    otherBlocks: 0,
  };
  /** Unparsed input is buf[pos, len). */
  private buf: Uint8Array = new Uint8Array(1 << 16);
  private pos = 0;
  private len = 0;
  private kind: "pcap" | "pcapng" | undefined;
  private little = true;
  private pcapLink = 1;
  private pcapNano = false;
  private snap = MAX_CAPLEN;
  private ifaces: Iface[] = [];
  private lastTs = Number.NaN;
  private inGarbage = false;
  private final = false;
  /** Bytes read ahead while parsing (kept so the reads are not optimised away). */
  touched = 0;
  private readonly rec: PacketRecord = {
    ts: 0,
    linkType: 0,
    buf: new Uint8Array(0),
    start: 0,
    caplen: 0,
    origLen: 0,
  };

  constructor(
    private readonly onPacket: (p: PacketRecord) => void,
    private readonly scanner?: RecordScanner,
  ) {}

  /**
   * Feeds the next bytes of the input, parsed in place (only a record cut by the end of the chunk is
   * copied, and the bytes of the next chunk that complete it). The chunk may be reused once this
   * returns. Throws only when the input is not a capture at all.
   */
  feed(chunk: Uint8Array): void {
    let at = 0;
    // a record left over from earlier chunks: append bytes of this one until it is complete
    while (this.len > this.pos && at < chunk.length) {
      const take = Math.min(chunk.length - at, STITCH_BYTES);
      this.append(chunk.subarray(at, at + take));
      at += take;
      const firstNew = this.len - take;
      this.parse();
      if (this.len > this.pos && this.pos >= firstNew) {
        // parsing reached the appended bytes: the rest of them is parsed in place below
        at -= this.len - this.pos;
        this.pos = 0;
        this.len = 0;
      }
    }
    if (at >= chunk.length) return;
    const used = this.kind === "pcapng" ? this.parseNg(chunk, at) : this.parsePcap(chunk, at);
    if (used < chunk.length) {
      this.pos = 0;
      this.len = 0;
      this.append(chunk.subarray(used));
    }
  }

  private append(bytes: Uint8Array): void {
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.len -= this.pos;
      this.pos = 0;
    }
    if (this.buf.length - this.len < bytes.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + bytes.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private parse(): void {
    const b = this.buf.subarray(0, this.len);
    this.pos = this.kind === "pcapng" ? this.parseNg(b, this.pos) : this.parsePcap(b, this.pos);
    if (this.pos >= this.len) {
      this.pos = 0;
      this.len = 0;
    }
  }

  /**
   * The input ended. A record header whose length runs past the end is now known to be damage: the
   * rest is parsed again skipping such headers; what is left after that is an incomplete record.
   */
  end(): void {
    this.final = true;
    if (!this.kind) this.shortInput();
    if (this.len > this.pos) {
      if (this.kind) this.parse();
      if (this.len > this.pos) this.stats.truncatedRecords++;
    }
    this.pos = 0;
    this.len = 0;
  }

  /** At the end of the input, a record running past it: skip a byte (true) or wait for more (false). */
  private pastEnd(): boolean {
    if (!this.final) return false;
    this.garbage(1);
    return true;
  }

  private garbage(n: number): void {
    if (!this.inGarbage) this.stats.garbageRuns++;
    this.inGarbage = true;
    this.stats.garbageBytes += n;
  }

  /** The input ended before a whole file header: a capture cut short, or not a capture at all. */
  private shortInput(): void {
    const b = this.buf.subarray(0, this.len);
    if (b.length === 0) throw new UserError("empty input: not a pcap or pcapng capture");
    if (b.length >= 4) {
      this.header(b);
      if (this.kind === "pcap") {
        // a pcap file header cut short: nothing else to read
        this.stats.truncatedRecords++;
        this.pos = this.len = 0;
      }
      return;
    }
    const prefixOf = MAGIC_BYTES.some((m) => b.every((x, i) => x === m[i]));
    if (!prefixOf) throw new UserError("not a pcap or pcapng capture (unknown magic bytes)");
  }

  private header(b: Uint8Array): number {
    if (b.length < 4) return 0;
    const kind = captureMagic(b);
    if (!kind) throw new UserError("not a pcap or pcapng capture (unknown magic bytes)");
    this.kind = kind;
    this.stats.format = kind;
    return -1;
  }

  // ---- classic pcap ----

  private parsePcap(b: Uint8Array, start: number): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = start;
    if (!this.kind) {
      if (b.length < 24) return 0;
      if (this.header(b) === 0) return 0;
      if (this.kind === "pcapng") return this.parseNg(b, 0);
      const le = dv.getUint32(0, true);
      this.little = le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
      const magic = dv.getUint32(0, this.little);
      this.pcapNano = magic === PCAP_MAGIC_NS;
      const snap = dv.getUint32(16, this.little);
      this.snap = snap > 0 && snap <= MAX_CAPLEN ? snap : MAX_CAPLEN;
      this.pcapLink = dv.getUint32(20, this.little) & 0x0fffffff;
      p = 24;
    }
    const L = this.little;
    // the per-record loop keeps its state in locals (written back below)
    const units = this.pcapNano ? 1e9 : 1e6;
    const snap = this.snap;
    const end = b.length;
    const r = this.rec;
    r.buf = b;
    r.linkType = this.pcapLink;
    let lastTs = this.lastTs;
    let records = 0;
    // Each record header's position depends on the previous one, so walking them waits for memory
    // once per record; reading the chunk line by line a little ahead lets the hardware prefetcher
    // stream it in (3x faster on a chunk that is not in the cache yet).
    let ahead = p;
    let touched = 0;
    const scanner = L && this.scanner?.takes(b, this.pcapLink) ? this.scanner : undefined;
    while (p + 16 <= end) {
      if (scanner && !this.inGarbage && !Number.isNaN(lastTs)) {
        // the scanner takes what it can; this loop takes the record it leaves
        const q = scanner.scan(b, p, end, lastTs, units, snap);
        if (q !== p) {
          records += scanner.count;
          lastTs = scanner.lastTs;
          p = q;
          if (p + 16 > end) break;
        }
        // the scanner reads ahead itself
        ahead = end;
      }
      const stop = p + PREFETCH_BYTES < end ? p + PREFETCH_BYTES : end;
      for (; ahead < stop; ahead += 64) touched ^= b[ahead];
      const sec = dv.getUint32(p, L);
      const frac = dv.getUint32(p + 4, L);
      const cap = dv.getUint32(p + 8, L);
      const orig = dv.getUint32(p + 12, L);
      const ts = sec + frac / units;
      const plausible =
        cap <= snap &&
        cap <= orig &&
        orig <= MAX_CAPLEN * 4 &&
        frac < units &&
        (Math.abs(ts - lastTs) < WEEK || Number.isNaN(lastTs));
      if (!plausible) {
        this.garbage(1);
        p++;
        continue;
      }
      if (p + 16 + cap > end) {
        if (this.pastEnd()) {
          p++;
          continue;
        }
        break;
      }
      if (this.inGarbage || Number.isNaN(lastTs)) {
        // a record found after damage must hold a sound link header and lie within a day of the last
        // good one; the first record (no time to compare with) must not be contradicted by the headers
        // after it
        let ok: number;
        if (this.inGarbage && !linkHeaderLooksRight(b, p + 16, cap, this.pcapLink)) ok = NO;
        else if (!Number.isNaN(lastTs)) ok = Math.abs(ts - lastTs) < DAY ? YES : NO;
        else {
          ok = this.confirmPcap(dv, b, p, cap, ts, units);
          if (ok === UNKNOWN) ok = YES;
        }
        if (ok === WAIT) break;
        if (ok === NO) {
          this.garbage(1);
          p++;
          continue;
        }
      }
      this.inGarbage = false;
      lastTs = ts;
      r.ts = ts;
      r.start = p + 16;
      r.caplen = cap;
      r.origLen = orig;
      records++;
      this.onPacket(r);
      p += 16 + cap;
    }
    this.lastTs = lastTs;
    this.stats.records += records;
    this.touched = touched;
    return p;
  }

  /**
   * What follows the record at p (`cap` bytes, time `ts`) says of it: YES (the exact end of the input,
   * or a plausible record header within a week of it, or, when that one is a week away, the header
   * after it within a week: one odd record between two that agree), NO (contradicted), UNKNOWN (no
   * plausible header follows), WAIT (not read yet).
   */
  private confirmPcap(dv: DataView, b: Uint8Array, p: number, cap: number, ts: number, units: number) {
    const q = p + 16 + cap;
    if (q + 16 > b.length) return q === b.length || this.final ? YES : WAIT;
    const next = this.headerAt(dv, q, units);
    if (next < 0) return UNKNOWN;
    if (Math.abs(next - ts) < WEEK) return YES;
    const q2 = q + 16 + dv.getUint32(q + 8, this.little);
    if (q2 + 16 > b.length) return this.final ? NO : WAIT;
    const after = this.headerAt(dv, q2, units);
    return after >= 0 && Math.abs(after - ts) < WEEK ? YES : NO;
  }

  /** The time of a plausible pcap record header at q, or -1. */
  private headerAt(dv: DataView, q: number, units: number): number {
    const L = this.little;
    const frac = dv.getUint32(q + 4, L);
    const cap = dv.getUint32(q + 8, L);
    const orig = dv.getUint32(q + 12, L);
    if (!(cap <= this.snap && cap <= orig && orig <= MAX_CAPLEN * 4 && frac < units)) return -1;
    return dv.getUint32(q, L) + frac / units;
  }

  // ---- pcapng ----

  private parseNg(b: Uint8Array, start: number): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = start;
    if (!this.kind && this.header(b) === 0) return 0;
    while (p + 12 <= b.length) {
      const type = dv.getUint32(p, this.little);
      if (type === PCAPNG_SHB || dv.getUint32(p, !this.little) === PCAPNG_SHB) {
        if (p + 12 > b.length) break;
        const bom = dv.getUint32(p + 8, true);
        if (bom !== BOM && dv.getUint32(p + 8, false) !== BOM) {
          this.garbage(1);
          p++;
          continue;
        }
        const little = bom === BOM;
        const len = dv.getUint32(p + 4, little);
        if (len < 28 || len % 4 !== 0 || len > MAX_CAPLEN * 4) {
          this.garbage(1);
          p++;
          continue;
        }
        if (p + len > b.length) {
          if (this.pastEnd()) {
            p++;
            continue;
          }
          break;
        }
        if (dv.getUint32(p + len - 4, little) !== len) {
          this.garbage(1);
          p++;
          continue;
        }
        this.little = little;
        this.ifaces = [];
        this.inGarbage = false;
        p += len;
        continue;
      }
      const L = this.little;
      const len = dv.getUint32(p + 4, L);
      const known = (type >= 1 && type <= 10) || type === 0xbad || type === 0x40000bad;
      if (!known || len < 12 || len % 4 !== 0 || len > MAX_CAPLEN * 4) {
        this.garbage(1);
        p++;
        continue;
      }
      if (p + len > b.length) {
        if (this.pastEnd()) {
          p++;
          continue;
        }
        break;
      }
      if (dv.getUint32(p + len - 4, L) !== len) {
        this.garbage(1);
        p++;
        continue;
      }
      this.inGarbage = false;
      if (type === 1) this.idb(b, dv, p, len);
      else if (type === 6) this.epb(b, dv, p, len);
      else if (type === 3) this.spb(b, dv, p, len);
      else this.stats.otherBlocks++;
      p += len;
    }
    return p;
  }

  private idb(_b: Uint8Array, dv: DataView, p: number, len: number): void {
    const L = this.little;
    if (len < 20) return;
    const iface: Iface = { linkType: dv.getUint16(p + 8, L), unitsPerSec: 1e6, offset: 0 };
    let o = p + 16;
    const end = p + len - 4;
    while (o + 4 <= end) {
      const code = dv.getUint16(o, L);
      const olen = dv.getUint16(o + 2, L);
      if (code === 0 || o + 4 + olen > end) break;
      if (code === 9 && olen >= 1) {
        const v = dv.getUint8(o + 4);
        iface.unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === 14 && olen >= 8) {
        iface.offset = Number(dv.getBigInt64(o + 4, L));
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.ifaces.push(iface);
  }

  private epb(b: Uint8Array, dv: DataView, p: number, len: number): void {
    const L = this.little;
    if (len < 32) return;
    const id = dv.getUint32(p + 8, L);
    const hi = dv.getUint32(p + 12, L);
    const lo = dv.getUint32(p + 16, L);
    const cap = dv.getUint32(p + 20, L);
    const orig = dv.getUint32(p + 24, L);
    const iface = this.ifaces[id];
    if (!iface || 28 + cap + 4 > len) {
      this.garbage(len);
      this.inGarbage = false;
      return;
    }
    const units = hi * 4294967296 + lo;
    const whole = Math.floor(units / iface.unitsPerSec);
    const r = this.rec;
    r.ts = iface.offset + whole + (units - whole * iface.unitsPerSec) / iface.unitsPerSec;
    r.linkType = iface.linkType;
    r.buf = b;
    r.start = p + 28;
    r.caplen = cap;
    r.origLen = orig;
    this.lastTs = r.ts;
    this.stats.records++;
    this.onPacket(r);
  }

  private spb(b: Uint8Array, dv: DataView, p: number, len: number): void {
    const iface = this.ifaces[0];
    if (!iface || len < 16) return;
    const orig = dv.getUint32(p + 8, this.little);
    const cap = Math.min(orig, len - 16);
    const r = this.rec;
    // simple packet blocks carry no timestamp: the last one seen stands in
    r.ts = Number.isNaN(this.lastTs) ? 0 : this.lastTs;
    r.linkType = iface.linkType;
    r.buf = b;
    r.start = p + 12;
    r.caplen = cap;
    r.origLen = orig;
    this.stats.records++;
    this.onPacket(r);
  }
}
