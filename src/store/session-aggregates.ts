/**
 * Aggregates over an incident's sessions computed by the database (the dashboard's cluster tables and
 * maps stay fast at 100,000 sessions), and the paged and column reads behind its tables and plots.
 */
import type { ExpressionBuilder, SelectQueryBuilder } from "kysely";
import type { Store } from "./open.ts";
import type { Database, Session, SessionFeature } from "./schema.ts";

export type ClusterLevel = 1 | 2;
const clusterColumn = (level: ClusterLevel) => (level === 1 ? "cluster_index" : "cluster_index2");

export interface SessionFilter {
  /** A cluster number, or null for sessions without one. */
  cluster?: number | null;
  cluster2?: number | null;
  attack?: number | null;
}

type SessionQuery<O> = SelectQueryBuilder<Database, "sessions", O>;

function filtered<O>(q: SessionQuery<O>, f: SessionFilter): SessionQuery<O> {
  for (const [key, column] of [
    ["cluster", "cluster_index"],
    ["cluster2", "cluster_index2"],
    ["attack", "attack"],
  ] as const) {
    const v = f[key];
    if (v === undefined) continue;
    q = v === null ? q.where(column, "is", null) : q.where(column, "=", v);
  }
  return q;
}

export type SessionSortColumn =
  | "id"
  | "start_time"
  | "end_time"
  | "requests"
  | "country"
  | "asn"
  | "banned"
  | "cluster_index"
  | "cluster_index2"
  | "attack"
  | SessionFeature;

/** One page of an incident's sessions in the given order (ties broken by id). */
export async function sessionsPage(
  store: Store,
  incidentId: number,
  page: { limit: number; offset: number; sort: SessionSortColumn; desc: boolean; filter: SessionFilter },
): Promise<{ total: number; rows: Session[] }> {
  const base = store.db.selectFrom("sessions").where("incident_id", "=", incidentId);
  const total = await filtered(
    base.select((eb) => eb.fn.countAll<number>().as("n")),
    page.filter,
  )
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
  const rows = await filtered(base.selectAll(), page.filter)
    .orderBy(page.sort, page.desc ? "desc" : "asc")
    .orderBy("id")
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { total, rows };
}

export interface SessionPointRow {
  id: number;
  cluster_index: number | null;
  cluster_index2: number | null;
  attack: number | null;
  values: (number | null)[];
}

/** Cluster labels and the given feature columns of every session of an incident, in id order. */
export async function sessionColumns(
  store: Store,
  incidentId: number,
  features: SessionFeature[],
): Promise<SessionPointRow[]> {
  const rows = await store.db
    .selectFrom("sessions")
    .select(["id", "cluster_index", "cluster_index2", "attack", ...features])
    .where("incident_id", "=", incidentId)
    .orderBy("id")
    .execute();
  return rows.map((r) => {
    const rec = r as unknown as Record<string, number | null>;
    return {
      id: r.id,
      cluster_index: r.cluster_index,
      cluster_index2: r.cluster_index2,
      attack: r.attack,
      values: features.map((f) => (rec[f] == null ? null : Number(rec[f]))),
    };
  });
}

export async function countSessions(store: Store, incidentId: number): Promise<number> {
  const r = await store.db
    .selectFrom("sessions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("incident_id", "=", incidentId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface ClusterCounts {
  cluster: number;
  sessions: number;
  ips: number;
  banned: number;
  /** Level 2: the lowest level-1 cluster its sessions lie in. */
  parent: number | null;
}

/** Per cluster of a level: sessions, distinct IP hashes, banned sessions. */
export async function clusterCounts(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
): Promise<ClusterCounts[]> {
  const column = clusterColumn(level);
  const rows = await store.db
    .selectFrom("sessions")
    .select((eb) => [
      eb.ref(column).as("cluster"),
      eb.fn.countAll().as("sessions"),
      eb.fn.count("ip_hash").distinct().as("ips"),
      eb.fn.sum("banned").as("banned"),
      eb.fn.min("cluster_index").as("parent"),
    ])
    .where("incident_id", "=", incidentId)
    .where(column, "is not", null)
    .groupBy(column)
    .orderBy(column)
    .execute();
  return rows.map((r) => ({
    cluster: Number(r.cluster),
    sessions: Number(r.sessions),
    ips: Number(r.ips),
    banned: Number(r.banned ?? 0),
    parent: level === 2 && r.parent != null ? Number(r.parent) : null,
  }));
}

/** Sessions per (cluster, value of a column): countries, ASNs or attacks of each cluster. */
export async function clusterBreakdown(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
  by: "country" | "asn" | "attack",
): Promise<{ cluster: number; key: string | number | null; label: string | null; sessions: number }[]> {
  const column = clusterColumn(level);
  const rows = await store.db
    .selectFrom("sessions")
    .select((eb) => [
      eb.ref(column).as("cluster"),
      eb.ref(by).as("key"),
      eb.fn.max("as_org").as("label"),
      eb.fn.countAll().as("sessions"),
    ])
    .where("incident_id", "=", incidentId)
    .where(column, "is not", null)
    .groupBy([column, by])
    .execute();
  return rows.map((r) => ({
    cluster: Number(r.cluster),
    key: r.key as string | number | null,
    label: by === "asn" ? ((r.label as string | null) ?? null) : null,
    sessions: Number(r.sessions),
  }));
}

/** Sessions and distinct IPs per country (ISO alpha-2, null unknown). */
export async function countryCounts(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
  filter: { cluster?: number; attack?: number },
): Promise<{ country: string | null; sessions: number; ips: number }[]> {
  let q = store.db
    .selectFrom("sessions")
    .select((eb) => ["country", eb.fn.countAll().as("sessions"), eb.fn.count("ip_hash").distinct().as("ips")])
    .where("incident_id", "=", incidentId);
  if (filter.cluster !== undefined) q = q.where(clusterColumn(level), "=", filter.cluster);
  if (filter.attack !== undefined) q = q.where("attack", "=", filter.attack);
  const rows = await q.groupBy("country").execute();
  return rows.map((r) => ({ country: r.country, sessions: Number(r.sessions), ips: Number(r.ips) }));
}

/** Where other IPs come from, for shared-IP counts. */
export type IpScope =
  | { kind: "otherIncidents"; incidentId: number }
  | { kind: "otherAttacks"; incidentId: number }
  | { kind: "incident"; incidentId: number }
  | { kind: "attack"; incidentId: number; number: number }
  | { kind: "botnet"; botnetId: number };

function scopeHashes(eb: ExpressionBuilder<Database, "sessions">, scope: IpScope) {
  const o = eb.selectFrom("sessions as o").select("o.ip_hash");
  switch (scope.kind) {
    case "otherIncidents":
      return o.where("o.incident_id", "!=", scope.incidentId);
    case "otherAttacks":
      return o.where("o.incident_id", "!=", scope.incidentId).where("o.attack", "is not", null);
    case "incident":
      return o.where("o.incident_id", "=", scope.incidentId);
    case "attack":
      return o.where("o.incident_id", "=", scope.incidentId).where("o.attack", "=", scope.number);
    case "botnet":
      return o
        .innerJoin("attacks as a", (j) =>
          j.onRef("a.incident_id", "=", "o.incident_id").onRef("a.number", "=", "o.attack"),
        )
        .innerJoin("attack_botnets as ab", "ab.attack_id", "a.id")
        .where("ab.botnet_id", "=", scope.botnetId);
  }
}

/** Distinct IP hashes of each cluster that also occur in the scope. */
export async function clusterSharedIps(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
  scope: IpScope,
): Promise<Map<number, number>> {
  const column = clusterColumn(level);
  const rows = await store.db
    .selectFrom("sessions")
    .select((eb) => [eb.ref(column).as("cluster"), eb.fn.count("ip_hash").distinct().as("shared")])
    .where("incident_id", "=", incidentId)
    .where(column, "is not", null)
    .where((eb) => eb("ip_hash", "in", scopeHashes(eb, scope)))
    .groupBy(column)
    .execute();
  return new Map(rows.map((r) => [Number(r.cluster), Number(r.shared)]));
}

/** Distinct IP hashes in a scope. */
export async function scopeIpCount(store: Store, scope: IpScope): Promise<number> {
  const r = await store.db
    .selectFrom("sessions")
    .select((eb) => eb.fn.count("ip_hash").distinct().as("n"))
    .where((eb) => eb("ip_hash", "in", scopeHashes(eb, scope)))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Per incident: attacks labelled, and whether any session has a cluster. */
export async function incidentFlags(
  store: Store,
): Promise<Map<number, { attacks: number; clustered: boolean }>> {
  const rows = await store.db
    .selectFrom("incidents")
    .select((eb) => [
      "incidents.id",
      eb
        .selectFrom("attacks")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("attacks.incident_id", "=", "incidents.id")
        .as("attacks"),
      eb
        .exists(
          eb
            .selectFrom("sessions")
            .select("sessions.id")
            .whereRef("sessions.incident_id", "=", "incidents.id")
            .where("sessions.cluster_index", "is not", null),
        )
        .as("clustered"),
    ])
    .execute();
  return new Map(
    rows.map((r) => [r.id, { attacks: Number(r.attacks ?? 0), clustered: Boolean(Number(r.clustered)) }]),
  );
}

/** The given feature columns of some sessions (by id), in id order. */
export async function sessionColumnsById(
  store: Store,
  ids: number[],
  features: SessionFeature[],
): Promise<SessionPointRow[]> {
  const out: SessionPointRow[] = [];
  const sorted = [...ids].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i += 500) {
    const rows = await store.db
      .selectFrom("sessions")
      .select(["id", "cluster_index", "cluster_index2", "attack", ...features])
      .where("id", "in", sorted.slice(i, i + 500))
      .orderBy("id")
      .execute();
    for (const r of rows) {
      const rec = r as unknown as Record<string, number | null>;
      out.push({
        id: r.id,
        cluster_index: r.cluster_index,
        cluster_index2: r.cluster_index2,
        attack: r.attack,
        values: features.map((f) => (rec[f] == null ? null : Number(rec[f]))),
      });
    }
  }
  return out;
}
