/**
 * Incidents created from the dashboard with a log file on the server: the incident is created at once and
 * its log is read in the background (analyzeWeb into that incident, its range kept), with progress the
 * UI polls. Jobs live as long as the server process; the store keeps what was written.
 */
import { statSync } from "node:fs";
import type { Config } from "../core/config.ts";
import { ConflictError, UserError } from "../core/errors.ts";
import type { GeoLookup } from "../geo/geo.ts";
import { createIncident, type IncidentRow } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import { currentKey } from "./keys.ts";
import { analyzeWeb } from "./web.ts";

export interface IncidentJob {
  state: "processing" | "ready" | "failed";
  /** Bytes read / file size (gzip: compressed bytes are not known, so 0 until done). */
  progress: number;
  requests: number;
  sessions: number;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export interface NewIncidentRequest {
  target: string;
  from: number;
  to: number;
  source?: string;
  comment?: string;
}

export class IncidentJobs {
  private readonly jobs = new Map<number, IncidentJob>();
  private readonly running = new Map<number, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly geo?: () => Promise<GeoLookup | undefined>,
  ) {}

  get(incidentId: number): IncidentJob | null {
    return this.jobs.get(incidentId) ?? null;
  }

  /** Refuses to change an incident while its log is being read. */
  assertIdle(incidentId: number): void {
    if (this.jobs.get(incidentId)?.state === "processing")
      throw new ConflictError(`incident ${incidentId} is still being processed`);
  }

  /** Creates the incident; with a source, starts reading it in the background. */
  async create(req: NewIncidentRequest): Promise<number> {
    if (!(req.to > req.from)) throw new UserError("to must be after from");
    let size = 0;
    if (req.source !== undefined) {
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(req.source);
      } catch {
        throw new UserError(`source: no such file on the server: ${req.source}`);
      }
      if (!st.isFile()) throw new UserError(`source: not a file: ${req.source}`);
      size = st.size;
    }
    const { key } = await currentKey(this.store, this.config);
    const incident = await createIncident(this.store, {
      target: req.target,
      start: req.from,
      stop: req.to,
      status: req.source ? "open" : "closed",
      origin: "manual",
      source: req.source ?? null,
      comment: req.comment ?? null,
      key_id: key.id,
    });
    if (req.source !== undefined) {
      const job: IncidentJob = {
        state: "processing",
        progress: 0,
        requests: 0,
        sessions: 0,
        error: null,
        startedAt: Date.now() / 1000,
        finishedAt: null,
      };
      this.jobs.set(incident.id, job);
      const plain = !req.source.endsWith(".gz") && size > 0;
      const run = this.process(incident.id, req, job, plain ? size : 0);
      this.running.set(incident.id, run);
      void run.finally(() => this.running.delete(incident.id));
    }
    return incident.id;
  }

  private async process(id: number, req: NewIncidentRequest, job: IncidentJob, size: number): Promise<void> {
    // let the request that created the incident answer first
    await new Promise((r) => setImmediate(r));
    try {
      const summary = await analyzeWeb(this.store, this.config, {
        files: [req.source!],
        weblog: {
          format: "auto",
          onProgress: size ? (bytes) => (job.progress = Math.min(1, bytes / size)) : undefined,
        },
        target: req.target.toLowerCase(),
        from: req.from,
        to: req.to,
        gapSeconds: this.config.web.sessionGapSeconds,
        key: this.config.web.sessionKey,
        compat: false,
        geo: this.geo ? await this.geo() : undefined,
        incidentId: id,
        keepRange: true,
      });
      job.requests = summary.requests;
      job.sessions = summary.targets.reduce((s, t) => s + t.sessions, 0);
      job.progress = 1;
      job.state = "ready";
    } catch (e) {
      job.state = "failed";
      // never echo the file's content (a bad-line example) back: the file may not be a log at all
      const message = (e as Error)?.message ?? String(e);
      job.error = message.startsWith("no readable request")
        ? `no readable web log request in ${req.source}`
        : message.split("\n")[0];
    } finally {
      job.finishedAt = Date.now() / 1000;
    }
  }

  /** Waits for every running job (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  /** An incident row with its job. */
  withJob<T extends IncidentRow>(row: T): T & { job: IncidentJob | null } {
    return { ...row, job: this.get(row.id) };
  }
}
