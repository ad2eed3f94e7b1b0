/**
 * Worker thread for the dashboard's long computations (clustering, the attack proposal): it opens its
 * own connection to the store and runs the same application functions, so the server's event loop keeps
 * answering while an incident of 100,000 sessions is clustered. Messages: { id, job } -> { id, result } or
 * { id, error: { name, message } }.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../core/config.ts";
import { openStore } from "../store/open.ts";
import type { ComputeJob } from "./compute.ts";
import { runComputeJob } from "./compute-jobs.ts";

const { storeUrl, config } = workerData as { storeUrl: string; config: Config };
const store = await openStore(storeUrl);

parentPort!.on("message", async (msg: { id: number; job: ComputeJob }) => {
  try {
    const result = await runComputeJob(store, config, msg.job);
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({
      id: msg.id,
      error: { name: err?.name ?? "Error", message: err?.message ?? String(e), stack: err?.stack },
    });
  }
});
