/**
 * Classic pcap output (little-endian, microsecond timestamps): to a file through a large buffer that is
 * flushed with synchronous writes (simulations write millions of packets), or to memory for tests.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export interface PcapWriterOptions {
  /** LINKTYPE_* of every packet (default 1, Ethernet). */
  linkType?: number;
  /** Snap length in the file header (default 262144). */
  snaplen?: number;
}

const BUFFER_BYTES = 1 << 22;

function fileHeader(o: PcapWriterOptions): Uint8Array {
  const h = new Uint8Array(24);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, o.snaplen ?? 262144, true);
  dv.setUint32(20, o.linkType ?? 1, true);
  return h;
}

/** Appends records to a growing in-memory buffer or a file. */
export class PcapWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private used = 0;
  private readonly fd: number | undefined;
  /** Records written. */
  packets = 0;

  /** `path` undefined: keep everything in memory (see bytes()). */
  constructor(path?: string, opts: PcapWriterOptions = {}) {
    this.fd = path === undefined ? undefined : openSync(path, "w");
    this.buf = new Uint8Array(path === undefined ? 1 << 16 : BUFFER_BYTES);
    this.dv = new DataView(this.buf.buffer);
    this.buf.set(fileHeader(opts), 0);
    this.used = 24;
  }

  /**
   * One record: `frame` holds the captured bytes (`caplen` of them, default all), `origLen` the length
   * on the wire (default the captured length).
   */
  write(ts: number, frame: Uint8Array, caplen = frame.length, origLen = caplen): void {
    const need = 16 + caplen;
    if (this.used + need > this.buf.length) this.makeRoom(need);
    let sec = Math.floor(ts);
    let us = Math.round((ts - sec) * 1e6);
    if (us === 1e6) {
      sec++;
      us = 0;
    }
    const dv = this.dv;
    const p = this.used;
    dv.setUint32(p, sec >>> 0, true);
    dv.setUint32(p + 4, us, true);
    dv.setUint32(p + 8, caplen, true);
    dv.setUint32(p + 12, origLen, true);
    this.buf.set(caplen === frame.length ? frame : frame.subarray(0, caplen), p + 16);
    this.used = p + need;
    this.packets++;
  }

  /** Raw bytes appended as they are (damage for tests). */
  writeRaw(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.makeRoom(bytes.length);
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** The whole capture (in-memory writers only). */
  bytes(): Uint8Array {
    if (this.fd !== undefined) throw new Error("PcapWriter.bytes() is for in-memory writers");
    return this.buf.subarray(0, this.used);
  }

  /** Flushes and closes the file (a no-op in memory). */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.fd === undefined) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  private makeRoom(need: number): void {
    if (this.fd !== undefined) {
      this.flush();
      if (need <= this.buf.length) return;
    }
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.used + need));
    bigger.set(this.buf.subarray(0, this.used), 0);
    this.buf = bigger;
    this.dv = new DataView(bigger.buffer);
  }
}
