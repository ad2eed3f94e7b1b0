import { existsSync, readFileSync } from "node:fs";
import { projectPath } from "../../core/paths.ts";

/**
 * The WebAssembly kernel of capture reading (wasm/capture.ts, built into dist/capture.wasm by
 * `npm run build:wasm`, which `npm ci` runs). One run's kernel owns a memory that holds the chunks the
 * file is read into and the flow table's arrays (FlowTable allocates them here when given the kernel),
 * and adds the plain packets straight into the rows (new flows, counters, TCP state, the start of a
 * flow's next record; 98% of the packets of a simulated capture); the JavaScript reader and table take
 * every other packet, so results are the same with or without it. It also writes binetflow lines
 * from the rows (flows convert).
 * The memory is shared so that views of it stay valid when it grows (a file read may be under way
 * into one chunk while the table grows).
 */

const WASM = projectPath("dist", "capture.wasm");

/** The WebAssembly API as far as used here (the ES lib of our tsconfig has no types for it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface Exports {
  memory: { buffer: SharedArrayBuffer };
  alloc(bytes: number): number;
  configure(
    rows: number,
    slots: number,
    mask: number,
    tcp: number,
    links: number,
    free: number,
    inTable: number,
    heads: number,
    idle: number,
    interval: number,
    argus: number,
    closedRows: number,
    closedWatermarks: number,
    closedCapacity: number,
  ): void;
  scan(
    p: number,
    end: number,
    lastTs: number,
    now: number,
    nextExpire: number,
    units: number,
    snap: number,
  ): number;
  handled(): number;
  closed(): number;
  lastTs(): number;
  now(): number;
  line(row: number, out: number): number;
}

let compiled: object | null | undefined;

function module(): object | null {
  if (compiled === undefined) compiled = existsSync(WASM) ? new Module(readFileSync(WASM)) : null;
  return compiled;
}

/** Whether the kernel is built (false: the JavaScript reader and table take every packet). */
export function kernelAvailable(): boolean {
  return module() !== null;
}

/** The flow table's arrays and timeouts as the kernel reads them (flows.ts has the layout). */
export interface KernelTable {
  /** Numbers per row. */
  row: number;
  rows: Float64Array;
  slots: Int32Array;
  mask: number;
  tcp: Float64Array;
  links: Int32Array;
  /** The stack of free rows and which rows are in the hash table (the kernel adds new flows too). */
  free: Int32Array;
  inTable: Uint8Array;
  heads: Int32Array;
  idle: number;
  interval: number;
  argus: boolean;
}

/** Records the kernel rolls over before the table takes them (it stops when this many wait). */
const CLOSED_CAPACITY = 1024;

export class CaptureKernel {
  private readonly x: Exports;
  /** The memory's buffers handed out so far (a grown memory has a new one; the old stay valid). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Records the kernel added in all (they do not pass the reader's callback). */
  packets = 0;
  /** After scan(): records it added, the time of the last, and the table's clock. */
  count = 0;
  /**
   * After scan(): records it ended to open the next record of the same flow, as copies of their rows
   * (the table's layout) in closedRows, and the table's watermark at the end of each.
   */
  closed = 0;
  closedRows: Float64Array = new Float64Array(0);
  closedWords: Uint32Array = new Uint32Array(0);
  closedWatermarks: Float64Array = new Float64Array(0);
  lastTs = 0;
  now = 0;

  /** A kernel, or undefined when dist/capture.wasm is not built. */
  static create(): CaptureKernel | undefined {
    const m = module();
    return m === null ? undefined : new CaptureKernel(m);
  }

  private constructor(m: object) {
    this.x = new Instance(m, {
      env: {
        abort: () => {
          throw new Error("capture kernel: out of memory");
        },
      },
    }).exports as unknown as Exports;
  }

  private memory(): SharedArrayBuffer {
    const b = this.x.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Whether `b` is a view of this kernel's memory. */
  owns(b: Uint8Array): boolean {
    return this.buffers.has(b.buffer);
  }

  bytes(n: number): Uint8Array {
    const p = this.x.alloc(n);
    return new Uint8Array(this.memory(), p, n);
  }

  f64(n: number): Float64Array {
    const p = this.x.alloc(n * 8);
    return new Float64Array(this.memory(), p, n);
  }

  i32(n: number): Int32Array {
    const p = this.x.alloc(n * 4);
    return new Int32Array(this.memory(), p, n);
  }

  /** The flow table's arrays, after every growth. */
  setTable(t: KernelTable): void {
    if (this.closedRows.length === 0) {
      this.closedRows = this.f64(CLOSED_CAPACITY * t.row);
      const c = this.closedRows;
      this.closedWords = new Uint32Array(c.buffer, c.byteOffset, c.length * 2);
      this.closedWatermarks = this.f64(CLOSED_CAPACITY);
    }
    this.x.configure(
      t.rows.byteOffset,
      t.slots.byteOffset,
      t.mask,
      t.tcp.byteOffset,
      t.links.byteOffset,
      t.free.byteOffset,
      t.inTable.byteOffset,
      t.heads.byteOffset,
      t.idle,
      t.interval,
      t.argus ? 1 : 0,
      this.closedRows.byteOffset,
      this.closedWatermarks.byteOffset,
      CLOSED_CAPACITY,
    );
  }

  /**
   * Writes the binetflow line of the record at rows[r] into `out` at `pos` (both views of this memory,
   * with 512 bytes of room) as FlowMaker.binetflow writes it; returns its end, or -1 for a record the
   * kernel leaves to JavaScript (capture-line.ts says which).
   */
  line(rows: Float64Array, r: number, out: Uint8Array, pos: number): number {
    const base = out.byteOffset;
    const end = this.x.line(rows.byteOffset + r * 8, base + pos);
    return end === 0 ? -1 : end - base;
  }

  /**
   * Adds the plain records of b[p, end) from p on (b a view of this memory) and returns where it
   * stopped; sets count, lastTs and now. `lastTs` is the reader's last record time, `now` and
   * `nextExpire` the table's, `units` (per second) and `snap` the capture's.
   */
  scan(
    b: Uint8Array,
    p: number,
    end: number,
    lastTs: number,
    now: number,
    nextExpire: number,
    units: number,
    snap: number,
  ): number {
    const x = this.x;
    const base = b.byteOffset;
    const q = x.scan(base + p, base + end, lastTs, now, nextExpire, units, snap) - base;
    const n = x.handled();
    this.count = n;
    this.closed = x.closed();
    this.packets += n;
    this.lastTs = n > 0 ? x.lastTs() : lastTs;
    this.now = n > 0 ? x.now() : now;
    return q;
  }
}
