import { existsSync, readFileSync } from "node:fs";
import { projectPath } from "../../core/paths.ts";
import type { RequestFacts, RequestTables, UserAgentTable } from "../../web/request-facts.ts";
import { extensionCodes, type RequestType } from "../../web/request-type.ts";

/**
 * The WebAssembly kernel for combined, common and vhost_combined lines (wasm/weblog.ts, built into
 * dist/weblog.wasm by `npm run build:wasm`, which `npm ci` runs). It reads a block of lines straight from the bytes and
 * writes each line's request facts into a record; lines it does not accept go to the JavaScript parser,
 * so results are the same with or without it. Without the built file the JavaScript parser reads all.
 */

const WASM = projectPath("dist", "weblog.wasm");

/** The WebAssembly API as far as used here (the ES lib of our tsconfig has no types for it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface Exports {
  memory: { buffer: ArrayBuffer };
  init(maxLineBytes: number): void;
  addExtension(code: number, type: number): void;
  alloc(size: number): number;
  free(ptr: number): void;
  scan(input: number, from: number, len: number, out: number, capacity: number, format: number): number;
  stoppedAt(): number;
  userAgentCount(): number;
  userAgentOffset(id: number): number;
  userAgentLength(id: number): number;
  scratch(size: number): number;
  internScratch(len: number): number;
}

/** What a record holds (i32 slots; time and bytes are the f64 at slots 16 and 18). */
const Slot = {
  code: 0,
  start: 1,
  end: 2,
  v4: 3,
  ipEnd: 4,
  method: 5,
  depth: 6,
  pathHash: 7,
  folderHash: 8,
  lastSlash: 9,
  pathType: 10,
  queryHash: 11,
  status: 12,
  userAgent: 13,
  /** vhost_combined: the host's end (it starts the line), and 1 when it is the last accepted line's. */
  hostEnd: 14,
  ipStart: 15,
  sameHost: 20,
} as const;
const RECORD_I32 = 24;
/** Time, then bytes: f64 slots from the record's start. */
const TIME_F64 = 8;
export const Code = { ok: 0, fallback: 1, oversized: 2 } as const;

/** The formats the kernel reads, in the kernel's numbering. */
export const KERNEL_FORMATS = ["combined", "common", "vhost_combined"] as const;
export type KernelFormat = (typeof KERNEL_FORMATS)[number];

let compiled: object | null | undefined;

function module(): object | null {
  if (compiled === undefined) compiled = existsSync(WASM) ? new Module(readFileSync(WASM)) : null;
  return compiled;
}

/** Whether the kernel is built (false: every line is read by the JavaScript parser). */
export function kernelAvailable(): boolean {
  return module() !== null;
}

const CAPACITY = 8192;

/** One run's kernel: its own memory, user-agent table and record area. */
export class WeblogKernel implements UserAgentTable {
  private readonly x: Exports;
  private input = 0;
  private inputSize = 0;
  private readonly out: number;
  private buffer: ArrayBuffer | null = null;
  /** Views of the memory, renewed when it grows. */
  private i32 = new Int32Array(0);
  private u32 = new Uint32Array(0);
  private f64 = new Float64Array(0);
  private bytes = Buffer.alloc(0);
  /** Records of the last scan, and the byte offset of the input where it stopped. */
  count = 0;
  stopped = 0;
  /** User agents by id, decoded as they appear (the kernel is the run's user-agent table). */
  readonly strings: string[] = [];
  /** The site id of the last vhost line read, for the next one with the same site. */
  private lastHost = -1;

  constructor(maxLineBytes: number) {
    const m = module();
    if (m === null) throw new Error("dist/weblog.wasm is not built: run npm run build:wasm");
    this.x = new Instance(m, {
      env: {
        abort: () => {
          throw new Error("weblog kernel aborted");
        },
      },
    }).exports as unknown as Exports;
    this.x.init(maxLineBytes);
    for (const [code, type] of extensionCodes()) this.x.addExtension(code, type);
    this.out = this.x.alloc(CAPACITY * RECORD_I32 * 4);
    this.views();
  }

  /** Copies a block of whole lines in (the previous block is dropped). */
  load(data: Uint8Array): void {
    if (data.length > this.inputSize) {
      if (this.input !== 0) this.x.free(this.input);
      this.inputSize = Math.max(data.length, 1 << 20);
      this.input = this.x.alloc(this.inputSize);
      this.views();
    }
    this.bytes.set(data, this.input);
  }

  /** Scans records of the loaded block from byte `from` up to `len`: sets count and stopped. */
  scan(from: number, len: number, format: KernelFormat): void {
    this.count = this.x.scan(this.input, from, len, this.out, CAPACITY, KERNEL_FORMATS.indexOf(format));
    this.stopped = this.x.stoppedAt();
    this.views();
    this.syncUserAgents();
  }

  /** Index of record k's first i32 slot (its f64 slots start at half of it). */
  private record(k: number): number {
    return (this.out >> 2) + k * RECORD_I32;
  }

  /** Record k's code (Code), and its line's range in the loaded block. */
  code(k: number): number {
    return this.i32[this.record(k) + Slot.code];
  }
  start(k: number): number {
    return this.i32[this.record(k) + Slot.start];
  }
  end(k: number): number {
    return this.i32[this.record(k) + Slot.end];
  }

  /**
   * Fills f with the facts of record k, a line the kernel accepted; client and site ids come from
   * `tables` (with `vhost`, the line starts with its site).
   */
  facts(k: number, f: RequestFacts, tables: RequestTables, vhost: boolean): RequestFacts {
    const i32 = this.i32;
    const r = this.record(k);
    const v4 = this.u32[r + Slot.v4];
    const ips = tables.ips;
    let ip = ips.v4Id(v4);
    if (ip < 0) ip = ips.addV4(v4, this.text(i32[r + Slot.ipStart], i32[r + Slot.ipEnd]));
    let host = -1;
    if (vhost) {
      if (i32[r + Slot.sameHost] === 1) host = this.lastHost;
      else {
        const start = i32[r + Slot.start];
        const end = i32[r + Slot.hostEnd];
        const text = this.text(start, end);
        host = text === "-" || text === "" ? -1 : tables.hostOf(text, 0, text.length);
        this.lastHost = host;
      }
    }
    const d = (r >> 1) + TIME_F64;
    f.time = this.f64[d];
    f.ip = ip;
    f.host = host;
    f.status = i32[r + Slot.status];
    f.bytes = this.f64[d + 1];
    f.method = i32[r + Slot.method];
    f.depth = i32[r + Slot.depth];
    f.pathHash = i32[r + Slot.pathHash];
    f.folderHash = i32[r + Slot.folderHash];
    f.lastSlash = i32[r + Slot.lastSlash];
    f.pathType = i32[r + Slot.pathType] as RequestType;
    f.contentType = -1;
    f.queryHash = i32[r + Slot.queryHash];
    f.userAgent = i32[r + Slot.userAgent];
    return f;
  }

  /** The loaded block's bytes [start, end) as a string (latin1: one byte, one char). */
  text(start: number, end: number): string {
    return this.bytes.toString("latin1", this.input + start, this.input + end);
  }

  /** Id of a user agent the JavaScript parser read (latin1 text: every char is one byte). */
  idOf(text: string, start: number, end: number): number {
    const n = end - start;
    const at = this.x.scratch(n);
    this.views();
    const b = this.bytes;
    for (let i = 0; i < n; i++) b[at + i] = text.charCodeAt(start + i);
    const id = this.x.internScratch(n);
    this.views();
    this.syncUserAgents();
    return id;
  }

  private syncUserAgents(): void {
    const n = this.x.userAgentCount();
    for (let id = this.strings.length; id < n; id++) {
      const at = this.x.userAgentOffset(id);
      this.strings.push(this.bytes.toString("latin1", at, at + this.x.userAgentLength(id)));
    }
  }

  private views(): void {
    const buf = this.x.memory.buffer;
    if (buf === this.buffer) return;
    this.buffer = buf;
    this.i32 = new Int32Array(buf);
    this.u32 = new Uint32Array(buf);
    this.f64 = new Float64Array(buf);
    this.bytes = Buffer.from(buf);
  }
}
