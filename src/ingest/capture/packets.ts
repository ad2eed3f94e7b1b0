/**
 * Streaming reader of capture files: classic pcap (either byte order, micro- or nanosecond timestamps)
 * and pcapng (SHB, IDB, EPB, SPB; per-interface link type and timestamp resolution, sections of either
 * byte order). Bytes are fed in chunks of any size; every complete packet record goes to a callback.
 * Damaged input is counted, never fatal: a record header that cannot be right (a pcap length over the
 * limit, a pcapng block whose trailing length disagrees) makes the reader skip forward byte by byte to
 * the next plausible record, counting the skipped bytes as garbage; an incomplete record at the end is
 * counted as a truncated record.
 */
import { UserError } from "../../core/errors.ts";

/** One packet record: `data` is the captured bytes (valid only during the callback). */
export interface PacketRecord {
  /** Epoch seconds, sub-second. */
  ts: number;
  /** The link type (LINKTYPE_*) of the packet's interface. */
  linkType: number;
  data: Uint8Array;
  /** Length on the wire. */
  origLen: number;
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
/** Larger captured lengths are taken for damage (pcap's own maximum snap length is 262144). */
const MAX_CAPLEN = 262144 * 4;

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
  private buf: Uint8Array = new Uint8Array(0);
  private kind: "pcap" | "pcapng" | undefined;
  private little = true;
  private pcapLink = 1;
  private pcapNano = false;
  private snap = MAX_CAPLEN;
  private ifaces: Iface[] = [];
  private lastTs = Number.NaN;
  private inGarbage = false;
  private final = false;
  private readonly rec: PacketRecord = { ts: 0, linkType: 0, data: new Uint8Array(0), origLen: 0 };

  constructor(private readonly onPacket: (p: PacketRecord) => void) {}

  /** Feeds the next bytes of the input. Throws only when the input is not a capture at all. */
  feed(chunk: Uint8Array): void {
    if (this.buf.length) {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf, 0);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    } else this.buf = chunk;
    const used = this.kind === "pcapng" ? this.parseNg(this.buf) : this.parsePcap(this.buf);
    this.buf = used >= this.buf.length ? new Uint8Array(0) : this.buf.slice(used);
  }

  /**
   * The input ended. A record header whose length runs past the end is now known to be damage: the
   * rest is parsed again skipping such headers; what is left after that is an incomplete record.
   */
  end(): void {
    this.final = true;
    if (this.buf.length > 0 && this.kind) {
      const used = this.kind === "pcapng" ? this.parseNg(this.buf) : this.parsePcap(this.buf);
      if (used < this.buf.length) this.stats.truncatedRecords++;
    } else if (this.buf.length > 0) this.stats.truncatedRecords++;
    this.buf = new Uint8Array(0);
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

  private header(b: Uint8Array): number {
    if (b.length < 4) return 0;
    const kind = captureMagic(b);
    if (!kind) throw new UserError("not a pcap or pcapng capture (unknown magic bytes)");
    this.kind = kind;
    this.stats.format = kind;
    return -1;
  }

  // ---- classic pcap ----

  private parsePcap(b: Uint8Array): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = 0;
    if (!this.kind) {
      if (b.length < 24) return 0;
      if (this.header(b) === 0) return 0;
      if (this.kind === "pcapng") return this.parseNg(b);
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
    while (p + 16 <= b.length) {
      const sec = dv.getUint32(p, L);
      const frac = dv.getUint32(p + 4, L);
      const cap = dv.getUint32(p + 8, L);
      const orig = dv.getUint32(p + 12, L);
      const ts = sec + frac / (this.pcapNano ? 1e9 : 1e6);
      const plausible =
        cap <= this.snap &&
        cap <= orig &&
        orig <= MAX_CAPLEN * 4 &&
        frac < (this.pcapNano ? 1e9 : 1e6) &&
        (Number.isNaN(this.lastTs) || Math.abs(ts - this.lastTs) < 86400 * 7);
      if (!plausible) {
        this.garbage(1);
        p++;
        continue;
      }
      if (p + 16 + cap > b.length) {
        if (this.pastEnd()) {
          p++;
          continue;
        }
        break;
      }
      this.inGarbage = false;
      this.lastTs = ts;
      const r = this.rec;
      r.ts = ts;
      r.linkType = this.pcapLink;
      r.data = b.subarray(p + 16, p + 16 + cap);
      r.origLen = orig;
      this.stats.records++;
      this.onPacket(r);
      p += 16 + cap;
    }
    return p;
  }

  // ---- pcapng ----

  private parseNg(b: Uint8Array): number {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = 0;
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
    r.data = b.subarray(p + 28, p + 28 + cap);
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
    r.data = b.subarray(p + 12, p + 12 + cap);
    r.origLen = orig;
    this.stats.records++;
    this.onPacket(r);
  }
}
