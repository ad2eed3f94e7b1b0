import type { Compute } from "../app/compute.ts";
import type { IncidentJobs } from "../app/incident-jobs.ts";
import type { Revealer } from "../app/reveal.ts";
import type { Config } from "../core/config.ts";
import type { Store } from "../store/open.ts";

/** What every route works with: the store, the configuration, IP revealing, background work. */
export interface ServerContext {
  store: Store;
  config: Config;
  revealer: Revealer;
  jobs: IncidentJobs;
  /** Clustering and the proposal, off the event loop. */
  compute: Compute;
}
