import type { Store } from "./open.ts";
import type { NewSession, Session } from "./schema.ts";

/** Rows per INSERT: keeps the bound parameters under SQLite's and PostgreSQL's limits. */
const CHUNK = 400;

export interface SessionUserAgentLink {
  userAgentId: number;
  requests: number;
}

/**
 * Bulk insert in one transaction: all of the sessions (and their user-agent links) or none. Returns
 * the new ids in input order (RETURNING yields rows in insertion order on SQLite and PostgreSQL).
 */
export async function insertSessions(
  store: Store,
  sessions: NewSession[],
  userAgents?: SessionUserAgentLink[][],
): Promise<number[]> {
  if (sessions.length === 0) return [];
  return store.db.transaction().execute(async (trx) => {
    const ids: number[] = [];
    for (let i = 0; i < sessions.length; i += CHUNK) {
      const res = await trx
        .insertInto("sessions")
        .values(sessions.slice(i, i + CHUNK))
        .returning("id")
        .execute();
      for (const r of res) ids.push(r.id);
    }
    if (userAgents) {
      const links = userAgents.flatMap((list, i) =>
        list.map((u) => ({ session_id: ids[i], user_agent_id: u.userAgentId, requests: u.requests })),
      );
      for (let i = 0; i < links.length; i += 1000) {
        await trx
          .insertInto("session_user_agents")
          .values(links.slice(i, i + 1000))
          .execute();
      }
    }
    return ids;
  });
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
