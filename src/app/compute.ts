/**
 * Long computations off the event loop: clustering and the attack proposal run in one worker thread with
 * its own store connection (SQLite in WAL mode and PostgreSQL both take a second connection). Without a
 * store URL (an in-memory store) or when the worker cannot start, they run in process.
 */
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ClusterOptions } from "../botnets/cluster.ts";
import type { Config } from "../core/config.ts";
import { ConflictError, ForbiddenError, NotFoundError, UsageError, UserError } from "../core/errors.ts";
import { projectPath } from "../core/paths.ts";
import type { Store } from "../store/open.ts";
import type { ClusterSummary } from "./cluster.ts";
import { runComputeJob } from "./compute-jobs.ts";
import type { AutoLabelResult } from "./label.ts";

export type ComputeJob =
  | { kind: "cluster"; incidentId: number; opts: ClusterOptions & { within?: number } }
  | { kind: "proposal"; incidentId: number }
  | { kind: "autoLabel"; incidentId: number };

type ResultOf<J extends ComputeJob> = J["kind"] extends "cluster" ? ClusterSummary : AutoLabelResult;

const ERRORS: Record<string, new (message: string) => Error> = {
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UsageError,
  UserError,
};

/** The worker errors as the classes the caller maps to answers (404, 409, 400, 500). */
function revive(e: { name: string; message: string; stack?: string }): Error {
  const Cls = ERRORS[e.name];
  if (Cls) return new Cls(e.message);
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

export class Compute {
  private worker: Worker | undefined;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    /** The store's URL for the worker's own connection; undefined: compute in process. */
    private readonly storeUrl: string | undefined,
  ) {}

  get offloaded(): boolean {
    return this.storeUrl !== undefined && this.storeUrl !== ":memory:";
  }

  async run<J extends ComputeJob>(job: J): Promise<ResultOf<J>> {
    if (!this.offloaded) return (await runComputeJob(this.store, this.config, job)) as ResultOf<J>;
    const worker = this.start();
    const id = this.next++;
    return new Promise<ResultOf<J>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ id, job });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // the worker runs TypeScript as bin/botscope.js does: tsx registered, then the module imported
    const boot = `(async () => {
      const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))});
      register();
      await import(${JSON.stringify(pathToFileURL(projectPath("src", "app", "compute-worker.ts")).href)});
    })().catch((e) => { throw e; });`;
    const w = new Worker(boot, { eval: true, workerData: { storeUrl: this.storeUrl, config: this.config } });
    w.unref();
    w.on("message", (msg: { id: number; result?: unknown; error?: { name: string; message: string } }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) w.unref();
      if (msg.error) p.reject(revive(msg.error));
      else p.resolve(msg.result);
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      if (this.worker === w) this.worker = undefined;
    };
    w.on("error", fail);
    w.on("exit", (code) => fail(new Error(`compute worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
