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

/** A session with the user agent it used most and whether that agent declares a bot. */
export interface SessionWithAgent {
  session: Session;
  mainUserAgentId: number | null;
  mainUserAgent: string | null;
  declaredBot: boolean;
}

/** Sessions of an incident joined with their main user agent (most requests). */
export async function sessionsWithAgents(store: Store, incidentId: number): Promise<SessionWithAgent[]> {
  const sessions = await sessionsOfIncident(store, incidentId);
  const links = await store.db
    .selectFrom("session_user_agents")
    .innerJoin("sessions", "sessions.id", "session_user_agents.session_id")
    .innerJoin("user_agents", "user_agents.id", "session_user_agents.user_agent_id")
    .select([
      "session_user_agents.session_id as sessionId",
      "session_user_agents.requests",
      "user_agents.id as uaId",
      "user_agents.ua",
      "user_agents.is_bot as isBot",
    ])
    .where("sessions.incident_id", "=", incidentId)
    .execute();
  const main = new Map<number, { uaId: number; ua: string; isBot: number; requests: number }>();
  for (const l of links) {
    const m = main.get(l.sessionId);
    if (!m || l.requests > m.requests) main.set(l.sessionId, l);
  }
  return sessions.map((session) => {
    const m = main.get(session.id);
    return {
      session,
      mainUserAgentId: m?.uaId ?? null,
      mainUserAgent: m?.ua ?? null,
      declaredBot: m ? m.isBot === 1 : false,
    };
  });
}
