import type { Store } from "./open.ts";
import type { Incident, NewIncident } from "./schema.ts";

/** The id of a target host, created on first use. */
export async function targetId(store: Store, host: string): Promise<number> {
  const name = host.trim().toLowerCase();
  const found = await store.db.selectFrom("targets").select("id").where("host", "=", name).executeTakeFirst();
  if (found) return found.id;
  const row = await store.db
    .insertInto("targets")
    .values({ host: name })
    .onConflict((oc) => oc.column("host").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (row) return row.id;
  return (
    await store.db.selectFrom("targets").select("id").where("host", "=", name).executeTakeFirstOrThrow()
  ).id;
}

export async function createIncident(
  store: Store,
  incident: Omit<NewIncident, "target_id"> & { target: string },
): Promise<Incident> {
  const { target, ...rest } = incident;
  const target_id = await targetId(store, target);
  return store.db
    .insertInto("incidents")
    .values({ ...rest, target_id })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface IncidentRow extends Incident {
  target: string;
  sessions: number;
}

export async function listIncidents(store: Store, filter: { target?: string } = {}): Promise<IncidentRow[]> {
  let q = store.db
    .selectFrom("incidents")
    .innerJoin("targets", "targets.id", "incidents.target_id")
    .selectAll("incidents")
    .select("targets.host as target")
    .select((eb) =>
      eb
        .selectFrom("sessions")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("sessions.incident_id", "=", "incidents.id")
        .as("sessions"),
    )
    .orderBy("incidents.id");
  if (filter.target) q = q.where("targets.host", "=", filter.target.toLowerCase());
  const rows = await q.execute();
  return rows.map((r) => ({ ...r, sessions: Number(r.sessions ?? 0) }));
}

export async function getIncident(store: Store, id: number): Promise<IncidentRow | undefined> {
  return (await listIncidents(store)).find((r) => r.id === id);
}

/** Deletes an incident and, through cascades, its sessions and attacks. Returns whether it existed. */
export async function deleteIncident(store: Store, id: number): Promise<boolean> {
  const res = await store.db.deleteFrom("incidents").where("id", "=", id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
