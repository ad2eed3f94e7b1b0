import type { Store } from "./open.ts";
import type { NewSession, Session } from "./schema.ts";

/** Rows per INSERT: keeps the bound parameters under SQLite's and PostgreSQL's limits. */
const CHUNK = 400;

/** Bulk insert in one transaction: all of the sessions or none. Returns the number written. */
export async function insertSessions(store: Store, sessions: NewSession[]): Promise<number> {
  if (sessions.length === 0) return 0;
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < sessions.length; i += CHUNK) {
      await trx
        .insertInto("sessions")
        .values(sessions.slice(i, i + CHUNK))
        .execute();
    }
  });
  return sessions.length;
}

export async function sessionsOfIncident(store: Store, incidentId: number): Promise<Session[]> {
  return store.db
    .selectFrom("sessions")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .orderBy("start_time")
    .orderBy("id")
    .execute();
}
