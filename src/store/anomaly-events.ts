import { targetId } from "./incidents.ts";
import type { Store } from "./open.ts";
import type { AnomalyEventTable } from "./schema.ts";

export interface NewAnomalyEvent {
  target: string;
  kind: "started" | "stopped";
  channel: string;
  signal: string;
  score: number;
  at: number;
  incidentId: number | null;
}

export interface AnomalyEventRow {
  id: number;
  target: string;
  kind: AnomalyEventTable["kind"];
  channel: string;
  signal: string;
  score: number;
  at: number;
  incident_id: number | null;
}

export async function insertAnomalyEvent(store: Store, e: NewAnomalyEvent): Promise<number> {
  const row = await store.db
    .insertInto("anomaly_events")
    .values({
      target_id: await targetId(store, e.target),
      kind: e.kind,
      channel: e.channel,
      signal: e.signal,
      score: e.score,
      at: e.at,
      incident_id: e.incidentId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listAnomalyEvents(
  store: Store,
  filter: { target?: string; incidentId?: number } = {},
): Promise<AnomalyEventRow[]> {
  let q = store.db
    .selectFrom("anomaly_events")
    .innerJoin("targets", "targets.id", "anomaly_events.target_id")
    .select([
      "anomaly_events.id",
      "targets.host as target",
      "anomaly_events.kind",
      "anomaly_events.channel",
      "anomaly_events.signal",
      "anomaly_events.score",
      "anomaly_events.at",
      "anomaly_events.incident_id",
    ])
    .orderBy("anomaly_events.id");
  if (filter.target) q = q.where("targets.host", "=", filter.target.toLowerCase());
  if (filter.incidentId !== undefined) q = q.where("anomaly_events.incident_id", "=", filter.incidentId);
  return (await q.execute()).map((r) => ({ ...r, score: Number(r.score), at: Number(r.at) }));
}

/** Sets an incident's time range and status (the watcher closes what it opened). */
export async function setIncidentRange(
  store: Store,
  incidentId: number,
  range: { start?: number; stop: number | null; status: "open" | "closed" },
): Promise<void> {
  await store.db.updateTable("incidents").set(range).where("id", "=", incidentId).execute();
}
