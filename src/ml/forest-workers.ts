/**
 * Worker threads for the random forest. Workers run the kernel's own source text (see forest-kernel.ts),
 * so they start in a few tens of milliseconds and need no TypeScript loader. Training data and the
 * matrices to predict live in SharedArrayBuffers: workers read the same memory, nothing is copied.
 *
 * Training hands out tree indices through an atomic counter shared by the main thread and the workers;
 * every tree seeds its own generator from (seed, tree index), so the forest is the same whichever thread
 * grows which tree. Prediction splits the rows: the main thread takes the first part, the workers the rest.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  forestKernel,
  type KernelData,
  type KernelForest,
  type KernelTree,
  type KernelTreeParams,
} from "./forest-kernel.ts";

const WORKER_SOURCE = `
"use strict";
const __name = (target) => target;
const { parentPort } = require("node:worker_threads");
const kernel = (${forestKernel.toString()})();
let forest = null;
parentPort.on("message", (msg) => {
  try {
    if (msg.type === "train") {
      const trees = [];
      const transfer = [];
      for (;;) {
        const t = Atomics.add(msg.counter, 0, 1);
        if (t >= msg.trees) break;
        const tree = kernel.buildTree(msg.data, msg.params, t);
        trees.push({ index: t, tree });
        transfer.push(tree.feature.buffer, tree.bin.buffer, tree.right.buffer, tree.value.buffer, tree.importance.buffer);
      }
      parentPort.postMessage({ id: msg.id, type: "trees", trees }, transfer);
    } else if (msg.type === "load") {
      forest = msg.forest;
      parentPort.postMessage({ id: msg.id, type: "loaded" });
    } else if (msg.type === "predict" || msg.type === "classify") {
      // blocks of rows from the shared counter; each finished block is counted in msg.done
      for (;;) {
        const from = Atomics.add(msg.counter, 0, 1) * msg.block;
        if (from >= msg.rows) break;
        const to = Math.min(msg.rows, from + msg.block);
        if (msg.type === "predict") kernel.predictProba(forest, msg.x, msg.cols, from, to, msg.out);
        else kernel.classify(forest, msg.x, msg.cols, from, to, msg.column, msg.threshold, msg.out);
        Atomics.add(msg.done, 0, 1);
      }
      parentPort.postMessage({ id: msg.id, type: "done" });
    }
  } catch (e) {
    parentPort.postMessage({ id: msg.id, type: "error", message: String(e && e.stack || e) });
  }
});
`;

/** The kernel as the main thread runs it. */
export const kernel = forestKernel();

/** Threads to use by default: the machine's parallelism. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** A worker that does not keep the process alive while idle (see `request`). */
function startWorker(): Worker {
  const w = new Worker(WORKER_SOURCE, { eval: true });
  w.unref();
  return w;
}

interface Reply {
  id: number;
  type: string;
  message?: string;
  trees?: { index: number; tree: KernelTree }[];
}

let lastId = 0;
const pending = new WeakMap<Worker, number>();
/** Workers being terminated: they stay referenced until they exit. */
const closing = new WeakSet<Worker>();

/**
 * Sends a message and resolves with the worker's answer to it (matched by id); the worker's errors and
 * early exits reject. The worker keeps the process alive only while it owes an answer.
 */
function request(w: Worker, msg: Record<string, unknown>): Promise<Reply> {
  const id = ++lastId;
  return new Promise((resolve, reject) => {
    const onMessage = (m: Reply): void => {
      if (m.id !== id) return;
      cleanup();
      if (m.type === "error") reject(new Error(`forest worker: ${m.message}`));
      else resolve(m);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`forest worker exited with code ${code}`));
    };
    const cleanup = (): void => {
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      const left = (pending.get(w) ?? 1) - 1;
      pending.set(w, left);
      if (left === 0 && !closing.has(w)) w.unref();
    };
    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    pending.set(w, (pending.get(w) ?? 0) + 1);
    w.ref();
    w.postMessage({ ...msg, id });
  });
}

/**
 * Training workers live as long as the process (idle, they cost nothing and do not keep it alive), so
 * repeated training runs, as in a server or a benchmark, find them started and warm.
 */
const trainers: Worker[] = [];

function trainer(i: number): Worker {
  let w = trainers[i];
  if (!w) {
    w = startWorker();
    const self = w;
    const forget = (): void => {
      if (trainers[i] === self) trainers[i] = undefined as unknown as Worker;
    };
    w.on("error", forget);
    w.on("exit", forget);
    trainers[i] = w;
  }
  return w;
}

type Typed = Uint8Array | Uint16Array | Int32Array | Float64Array;

/** The array itself when it lives in shared memory, else a copy in a SharedArrayBuffer. */
export function shared<T extends Typed>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as unknown as new (b: SharedArrayBuffer, offset: number, length: number) => T;
  const out = new C(new SharedArrayBuffer(Math.max(a.byteLength, 8)), 0, a.length);
  out.set(a as never);
  return out;
}

/**
 * Grows `trees` trees with `jobs` threads (the main thread is one of them). Trees come back in index
 * order, identical to growing them one by one on the main thread.
 */
export async function buildTrees(
  data: KernelData,
  params: KernelTreeParams,
  trees: number,
  jobs: number,
): Promise<KernelTree[]> {
  const out: KernelTree[] = new Array(trees);
  const threads = Math.max(1, Math.min(jobs, trees));
  if (threads === 1) {
    for (let t = 0; t < trees; t++) out[t] = kernel.buildTree(data, params, t);
    return out;
  }
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const sharedData: KernelData = {
    ...data,
    binned: shared(data.binned),
    nBins: shared(data.nBins),
    y: shared(data.y),
  };
  // Workers (started on first use, then kept) join while the main thread already grows trees; when the
  // main thread has grown them all, nothing is waited for, so small forests never pay for threads.
  const replies = Array.from({ length: threads - 1 }, (_, i) =>
    request(trainer(i), { type: "train", data: sharedData, params, trees, counter }),
  );
  for (;;) {
    const t = Atomics.add(counter, 0, 1);
    if (t >= trees) break;
    out[t] = kernel.buildTree(sharedData, params, t);
  }
  let missing = false;
  for (let t = 0; t < trees; t++) if (!out[t]) missing = true;
  if (missing) {
    for (const reply of await Promise.all(replies)) {
      for (const { index, tree } of reply.trees ?? []) out[index] = tree;
    }
  } else {
    // the workers answer with nothing later; their answers are dropped
    for (const r of replies) r.catch(() => {});
  }
  return out;
}

/**
 * Workers holding one forest, for predicting many matrices (a detection run predicts every window).
 * Close it when done; an unclosed pool does not keep the process alive.
 */
export class PredictPool {
  private workers: Worker[] = [];
  private ready: Promise<unknown> | undefined;

  constructor(
    private readonly forest: KernelForest,
    private readonly jobs: number,
  ) {}

  /** Starts the workers and hands them the forest (on the first request big enough to share). */
  private start(): Promise<unknown> {
    if (!this.ready) {
      const f = this.forest;
      const sharedForest: KernelForest = {
        k: f.k,
        feature: shared(f.feature),
        threshold: shared(f.threshold),
        right: shared(f.right),
        value: shared(f.value),
        roots: shared(f.roots),
      };
      this.workers = Array.from({ length: Math.max(0, this.jobs - 1) }, startWorker);
      this.ready = Promise.all(this.workers.map((w) => request(w, { type: "load", forest: sharedForest })));
    }
    return this.ready;
  }

  /** Mean class probabilities of every row of x (row-major, cols wide) into out (rows * k). */
  async predict(x: Float64Array, rows: number, cols: number, out: Float64Array): Promise<void> {
    const k = this.forest.k;
    await this.split(
      rows,
      out,
      rows * k * 8,
      (o, from, to) => kernel.predictProba(this.forest, x, cols, from, to, o as Float64Array),
      { type: "predict", cols },
      x,
    );
  }

  /** 1 where the mean probability of class `column` >= threshold, per row of x, into out. */
  async classify(
    x: Float64Array,
    rows: number,
    cols: number,
    column: number,
    threshold: number,
    out: Uint8Array,
  ): Promise<void> {
    await this.split(
      rows,
      out,
      rows,
      (o, from, to) => kernel.classify(this.forest, x, cols, from, to, column, threshold, o as Uint8Array),
      { type: "classify", cols, column, threshold },
      x,
    );
  }

  /**
   * The rows in blocks handed out by a shared counter to the main thread and the workers alike, so the
   * faster thread does more; the main thread never waits for a worker that is still starting, only for
   * blocks a worker has taken. Output goes to shared memory (copied into out when out is not shared).
   */
  private async split<O extends Float64Array | Uint8Array>(
    rows: number,
    out: O,
    outBytes: number,
    local: (out: O, from: number, to: number) => void,
    message: Record<string, unknown>,
    x: Float64Array,
  ): Promise<void> {
    // Below a few thousand rows the message round trips cost more than they save.
    if (this.jobs <= 1 || rows < 2048) {
      local(out, 0, rows);
      return;
    }
    this.start().catch(() => {});
    const sx = shared(x);
    const C = out.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => O;
    const sout =
      out.buffer instanceof SharedArrayBuffer
        ? out
        : new C(new SharedArrayBuffer(Math.max(8, outBytes)), 0, out.length);
    const block = 512;
    const blocks = Math.ceil(rows / block);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const done = new Int32Array(new SharedArrayBuffer(4));
    const replies = this.workers.map((w) =>
      request(w, { ...message, x: sx, out: sout, rows, block, counter, done }),
    );
    for (;;) {
      const from = Atomics.add(counter, 0, 1) * block;
      if (from >= rows) break;
      local(sout, from, Math.min(rows, from + block));
      Atomics.add(done, 0, 1);
    }
    if (Atomics.load(done, 0) < blocks) await Promise.all(replies);
    else for (const r of replies) r.catch(() => {});
    if (sout !== out) (out as Uint8Array).set(sout as Uint8Array);
  }

  async close(): Promise<void> {
    // an unreferenced worker's exit would not keep the process alive while terminate() is awaited
    for (const w of this.workers) {
      closing.add(w);
      w.ref();
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.ready = undefined;
  }
}
