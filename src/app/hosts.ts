/** Views over stored flow runs for the dashboard: runs, hosts of a detect run, one host's timeline. */
import { NotFoundError } from "../core/errors.ts";
import type { HostStatus } from "../flows/scoring.ts";
import {
  type FlowRun,
  getFlowRun,
  hostAggregates,
  hostScoresOfRun,
  listFlowRuns,
  runHostCounts,
} from "../store/flow-runs.ts";
import type { Store } from "../store/open.ts";
import { periodicHostCounts } from "../store/periodicity.ts";
import type { Revealer } from "./reveal.ts";

function parameters(run: FlowRun): Record<string, unknown> | null {
  if (!run.parameters) return null;
  try {
    return JSON.parse(run.parameters) as Record<string, unknown>;
  } catch {
    return null;
  }
}

export async function flowRuns(store: Store, kind?: FlowRun["kind"]) {
  const scored = await runHostCounts(store);
  const periodic = await periodicHostCounts(store);
  return (await listFlowRuns(store, kind)).map((r) => {
    const p = parameters(r);
    const counts =
      r.kind === "detect"
        ? (scored.get(r.id) ?? { hosts: 0, red: 0, yellow: 0 })
        : { hosts: periodic.get(r.id) ?? 0, red: 0, yellow: 0 };
    return {
      id: r.id,
      kind: r.kind,
      ...(r.kind === "periodicity" ? { mode: (p?.mode as string | undefined) ?? "keepalive" } : {}),
      source: r.source,
      startedAt: Number(r.started_at),
      finishedAt: r.finished_at == null ? null : Number(r.finished_at),
      windowSeconds: r.window_seconds == null ? null : Number(r.window_seconds),
      stepSeconds: r.step_seconds == null ? null : Number(r.step_seconds),
      parameters: p,
      ...counts,
    };
  });
}

async function detectRun(store: Store, runId: number): Promise<FlowRun> {
  const run = await getFlowRun(store, runId);
  if (run?.kind !== "detect") throw new NotFoundError(`no flow detect run ${runId}`);
  return run;
}

/** One page of the hosts of a detect run with their worst status, worst first. */
export async function runHosts(
  store: Store,
  runId: number,
  revealer: Revealer,
  page: { status?: HostStatus; model?: string; limit: number; offset: number },
) {
  const run = await detectRun(store, runId);
  const { total, rows } = await hostAggregates(store, runId, {
    model: page.model,
    worst: page.status,
    limit: page.limit,
    offset: page.offset,
  });
  const out = [];
  for (const a of rows) {
    out.push({
      hostHash: a.host_hash,
      host: await revealer.reveal(run.key_id, a.host_encrypted),
      model: a.model,
      status: (a.red_windows > 0 ? "red" : a.yellow_windows > 0 ? "yellow" : "clear") as HostStatus,
      maxScore: a.max_score,
      windows: a.windows,
      redWindows: a.red_windows,
      yellowWindows: a.yellow_windows,
      flows: a.flows,
      botnetFlows: a.botnet_flows,
      firstRed: a.first_red,
    });
  }
  return { total, offset: page.offset, limit: page.limit, rows: out };
}

/** One host's windows in a detect run, per model, and the windows where its status changed. */
export async function hostTimeline(store: Store, runId: number, hostHash: string, revealer: Revealer) {
  const run = await detectRun(store, runId);
  const scores = await hostScoresOfRun(store, runId, hostHash);
  if (scores.length === 0) throw new NotFoundError(`flow run ${runId} has no host ${hostHash}`);
  const models = new Map<
    string,
    {
      model: string;
      timeline: [number, number, number, number, HostStatus][];
      reasons: [number, HostStatus, string][];
    }
  >();
  for (const s of scores) {
    let m = models.get(s.model);
    if (!m) {
      m = { model: s.model, timeline: [], reasons: [] };
      models.set(s.model, m);
    }
    const previous = m.timeline[m.timeline.length - 1];
    m.timeline.push([Number(s.window_start), s.flows, s.botnet_flows, Number(s.score), s.status]);
    if ((previous === undefined && s.status !== "clear") || (previous && previous[4] !== s.status))
      m.reasons.push([Number(s.window_start), s.status, s.reason ?? ""]);
  }
  return {
    hostHash,
    host: await revealer.reveal(run.key_id, scores[0].host_encrypted),
    windowSeconds: run.window_seconds == null ? null : Number(run.window_seconds),
    models: [...models.values()],
  };
}
