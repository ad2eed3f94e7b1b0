import { targetId } from "./incidents.ts";
import type { Store } from "./open.ts";

export interface NewAnomalyPoint {
  target: string;
  signal: string;
  at: number;
  value: number;
  score: number;
  threshold: number | null;
  intervalSeconds: number;
}

/** Rows per INSERT: keeps the bound parameters under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

/** Bulk insert in one transaction (the watcher writes its scored buckets in batches). */
export async function insertAnomalyPoints(store: Store, points: NewAnomalyPoint[]): Promise<void> {
  if (points.length === 0) return;
  const ids = new Map<string, number>();
  for (const p of points) if (!ids.has(p.target)) ids.set(p.target, await targetId(store, p.target));
  const rows = points.map((p) => ({
    target_id: ids.get(p.target)!,
    signal: p.signal,
    at: p.at,
    value: p.value,
    score: p.score,
    threshold: p.threshold,
    interval_seconds: p.intervalSeconds,
  }));
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += CHUNK)
      await trx
        .insertInto("anomaly_points")
        .values(rows.slice(i, i + CHUNK))
        .execute();
  });
}

export interface AnomalyTargetRow {
  target: string;
  points: number;
  first: number | null;
  last: number | null;
  events: number;
  incidents: number;
}

/** Targets with a stored series or anomaly events. */
export async function listAnomalyTargets(store: Store): Promise<AnomalyTargetRow[]> {
  const rows = await store.db
    .selectFrom("targets")
    .select("targets.host as target")
    .select((eb) => [
      eb
        .selectFrom("anomaly_points")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("anomaly_points.target_id", "=", "targets.id")
        .as("points"),
      eb
        .selectFrom("anomaly_points")
        .select((e) => e.fn.min<number>("anomaly_points.at").as("t"))
        .whereRef("anomaly_points.target_id", "=", "targets.id")
        .as("first"),
      eb
        .selectFrom("anomaly_points")
        .select((e) => e.fn.max<number>("anomaly_points.at").as("t"))
        .whereRef("anomaly_points.target_id", "=", "targets.id")
        .as("last"),
      eb
        .selectFrom("anomaly_events")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("anomaly_events.target_id", "=", "targets.id")
        .as("events"),
      eb
        .selectFrom("anomaly_events")
        .select((e) => e.fn.count<number>("anomaly_events.incident_id").distinct().as("n"))
        .whereRef("anomaly_events.target_id", "=", "targets.id")
        .as("incidents"),
    ])
    .orderBy("targets.host")
    .execute();
  return rows
    .map((r) => ({
      target: r.target,
      points: Number(r.points ?? 0),
      first: r.first == null ? null : Number(r.first),
      last: r.last == null ? null : Number(r.last),
      events: Number(r.events ?? 0),
      incidents: Number(r.incidents ?? 0),
    }))
    .filter((r) => r.points > 0 || r.events > 0);
}

export interface AnomalyPointRow {
  at: number;
  value: number;
  score: number;
  threshold: number | null;
  interval: number;
}

/** One target's series of one signal in [from, to), in time order. */
export async function anomalySeries(
  store: Store,
  target: string,
  signal: string,
  range: { from?: number; to?: number } = {},
): Promise<AnomalyPointRow[]> {
  let q = store.db
    .selectFrom("anomaly_points")
    .innerJoin("targets", "targets.id", "anomaly_points.target_id")
    .select([
      "anomaly_points.at",
      "anomaly_points.value",
      "anomaly_points.score",
      "anomaly_points.threshold",
      "anomaly_points.interval_seconds as interval",
    ])
    .where("targets.host", "=", target.toLowerCase())
    .where("anomaly_points.signal", "=", signal);
  if (range.from !== undefined) q = q.where("anomaly_points.at", ">=", range.from);
  if (range.to !== undefined) q = q.where("anomaly_points.at", "<", range.to);
  const rows = await q.orderBy("anomaly_points.at").execute();
  return rows.map((r) => ({
    at: Number(r.at),
    value: Number(r.value),
    score: Number(r.score),
    threshold: r.threshold == null ? null : Number(r.threshold),
    interval: Number(r.interval),
  }));
}
