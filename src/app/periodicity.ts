/**
 * Periodicity runs in the store: `beacons --store` and the demo write a flow run of kind periodicity with
 * one finding per host (no destination) and, in keepalive mode, one per periodic contact, hosts hashed and
 * encrypted as everywhere; the dashboard reads them back.
 */
import type { Config } from "../core/config.ts";
import { NotFoundError } from "../core/errors.ts";
import { createFlowRun, deleteFlowRun, finishFlowRun, getFlowRun } from "../store/flow-runs.ts";
import type { Store } from "../store/open.ts";
import {
  findingsOfRun,
  insertPeriodicityFindings,
  type NewPeriodicityFinding,
} from "../store/periodicity.ts";
import type { BeaconsRun } from "./beacons.ts";
import { currentKey, ipHasher } from "./keys.ts";
import type { Revealer } from "./reveal.ts";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Stores a finished beacons run; returns the flow run id. */
export async function storePeriodicityRun(
  store: Store,
  config: Config,
  run: BeaconsRun,
  source: string,
): Promise<number> {
  const { key, cipher } = await currentKey(store, config);
  const hasher = ipHasher(config);
  const token = (ip: string) => ({ hash: hasher.hash(ip), encrypted: cipher.encrypt(ip) });
  const now = Date.now() / 1000;
  const parameters =
    run.mode === "relbot"
      ? { mode: "relbot", periods: run.relbot?.periods ?? [], flows: run.flows }
      : {
          mode: "keepalive",
          flows: run.flows,
          pairs: run.keepalive?.pairs ?? 0,
          judged: run.keepalive?.judged ?? 0,
          periods: run.keepaliveOptions?.periods ?? "auto",
          tolerance: run.keepaliveOptions?.tolerance,
          minConfidence: run.keepaliveOptions?.minConfidence,
          window: run.keepalive && { startMs: run.keepalive.windowStartMs, endMs: run.keepalive.windowEndMs },
        };
  const flowRun = await createFlowRun(store, {
    kind: "periodicity",
    source,
    started_at: now - run.seconds,
    finished_at: null,
    window_seconds: null,
    step_seconds: null,
    parameters: JSON.stringify(parameters),
    key_id: key.id,
  });
  const rows: NewPeriodicityFinding[] = [];
  try {
    if (run.relbot) {
      const periods = run.relbot.periods;
      for (const h of run.relbot.hosts) {
        const src = token(h.host);
        let best = 0;
        for (let i = 1; i < periods.length; i++) if (h.peers[i].length > h.peers[best].length) best = i;
        rows.push({
          run_id: flowRun.id,
          src_hash: src.hash,
          src_encrypted: src.encrypted,
          dst_hash: null,
          dst_encrypted: null,
          method: "relbot",
          period_ms: periods[best] ?? 0,
          count: h.peers[best]?.length ?? 0,
          score: null,
          detail: JSON.stringify({
            periods: periods.map((p, i) => ({ periodMs: p, peers: h.peers[i].length, count: h.counts[i] })),
          }),
        });
      }
    }
    for (const h of run.keepalive?.hosts ?? []) {
      const src = token(h.host);
      rows.push({
        run_id: flowRun.id,
        src_hash: src.hash,
        src_encrypted: src.encrypted,
        dst_hash: null,
        dst_encrypted: null,
        method: "beacon",
        period_ms: h.periodMs,
        count: h.peers,
        score: h.confidence,
        detail: JSON.stringify({
          phaseStability: round3(h.phaseStability),
          periods: h.periods.map((p) => ({ periodMs: Math.round(p.periodMs), peers: p.peers })),
        }),
      });
      for (const c of h.contacts) {
        const dst = token(c.peer);
        rows.push({
          run_id: flowRun.id,
          src_hash: src.hash,
          src_encrypted: src.encrypted,
          dst_hash: dst.hash,
          dst_encrypted: dst.encrypted,
          method: "beacon",
          period_ms: c.periodMs,
          count: 1,
          score: c.confidence,
          detail: JSON.stringify({
            proto: c.proto,
            port: c.port,
            direction: c.direction,
            kind: c.kind,
            contacts: c.contacts,
            flows: c.flows,
            first: c.firstMs / 1000,
            last: c.lastMs / 1000,
            missedBeats: c.missedBeats,
            fill: round3(c.fill),
            fit: round3(c.fit),
            phaseStability: round3(c.phaseStability),
            phasePeakShare: round3(c.phasePeakShare),
            jitterMs: Math.round(c.jitterMs),
            beacon: c.beacon && {
              score: round3(c.beacon.score),
              timestamps: round3(c.beacon.timestamps),
              sizes: c.beacon.sizes === null ? null : round3(c.beacon.sizes),
              histogram: round3(c.beacon.histogram),
              coverage: round3(c.beacon.coverage),
              medianIntervalMs: Math.round(c.beacon.medianIntervalMs),
            },
            phaseHistogram: c.phaseHistogram,
          }),
        });
      }
    }
    await insertPeriodicityFindings(store, rows);
    await finishFlowRun(store, flowRun.id, Date.now() / 1000);
  } catch (e) {
    await deleteFlowRun(store, flowRun.id);
    throw e;
  }
  return flowRun.id;
}

export interface PeriodicContactView {
  peerHash: string;
  peer: string | null;
  periodMs: number;
  confidence: number | null;
  [detail: string]: unknown;
}

export interface PeriodicHostView {
  hostHash: string;
  host: string | null;
  method: "beacon" | "relbot";
  peers: number;
  periodMs: number;
  score: number | null;
  phaseStability: number | null;
  periods: { periodMs: number; peers: number }[];
  contacts: PeriodicContactView[];
}

function parseJson(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A periodicity run with its hosts (most confident first) and their contacts. */
export async function periodicityRun(store: Store, runId: number, revealer: Revealer) {
  const run = await getFlowRun(store, runId);
  if (run?.kind !== "periodicity") throw new NotFoundError(`no periodicity run ${runId}`);
  const parameters = parseJson(run.parameters);
  const hosts = new Map<string, PeriodicHostView>();
  const findings = await findingsOfRun(store, runId);
  for (const f of findings) {
    if (f.dst_hash !== null) continue;
    const detail = parseJson(f.detail);
    hosts.set(f.src_hash, {
      hostHash: f.src_hash,
      host: await revealer.reveal(run.key_id, f.src_encrypted),
      method: f.method,
      peers: f.count,
      periodMs: Number(f.period_ms),
      score: f.score == null ? null : Number(f.score),
      phaseStability: typeof detail.phaseStability === "number" ? detail.phaseStability : null,
      periods: (detail.periods as PeriodicHostView["periods"]) ?? [],
      contacts: [],
    });
  }
  for (const f of findings) {
    if (f.dst_hash === null) continue;
    const h = hosts.get(f.src_hash);
    if (!h) continue;
    h.contacts.push({
      peerHash: f.dst_hash,
      peer: await revealer.reveal(run.key_id, f.dst_encrypted),
      periodMs: Number(f.period_ms),
      ...parseJson(f.detail),
      confidence: f.score == null ? null : Number(f.score),
    });
  }
  return {
    run: {
      id: run.id,
      source: run.source,
      startedAt: Number(run.started_at),
      finishedAt: run.finished_at == null ? null : Number(run.finished_at),
      mode: parameters.mode ?? "keepalive",
      parameters,
    },
    hosts: [...hosts.values()].sort(
      (a, b) => (b.score ?? 0) - (a.score ?? 0) || b.peers - a.peers || a.hostHash.localeCompare(b.hostHash),
    ),
  };
}
