import type { Config } from "../core/config.ts";
import type { Store } from "../store/open.ts";
import { clusterIncident } from "./cluster.ts";
import type { ComputeJob } from "./compute.ts";
import { autoLabel, proposeAttacks } from "./label.ts";

/** Runs one long computation with the application functions (in a worker, or in process). */
export async function runComputeJob(store: Store, config: Config, job: ComputeJob): Promise<unknown> {
  switch (job.kind) {
    case "cluster":
      return clusterIncident(store, job.incidentId, job.opts);
    case "proposal":
      return proposeAttacks(store, job.incidentId, { gapSeconds: config.web.sessionGapSeconds });
    case "autoLabel":
      return autoLabel(store, job.incidentId, { gapSeconds: config.web.sessionGapSeconds });
  }
}
