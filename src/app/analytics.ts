import { attackDistance, overlap, profile } from "../botnets/similarity.ts";
import { UserError } from "../core/errors.ts";
import { getOrCreate, increment } from "../core/maps.ts";
import { quantileSorted } from "../ml/scale.ts";
import { attackFeatureRows, attackIpHashes, listAttacks } from "../store/attacks.ts";
import type { Store } from "../store/open.ts";
import type { Session, SessionFeature } from "../store/schema.ts";
import { sessionsOfIncident, sessionsWithAgents } from "../store/sessions.ts";
import { requireAttack } from "./botnets.ts";

export interface BoxStats {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

function box(values: number[]): BoxStats | null {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return {
    min: v[0],
    q1: quantileSorted(v, 0.25),
    median: quantileSorted(v, 0.5),
    q3: quantileSorted(v, 0.75),
    max: v[v.length - 1],
  };
}

function shares(counts: Map<string, number>, total: number, n = 5): { key: string; share: number }[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, c]) => ({ key, share: c / Math.max(1, total) }));
}

/** IP hashes seen in any other incident, and in any attack of another incident. */
async function ipsElsewhere(
  store: Store,
  incidentId: number,
): Promise<{ incidents: Set<string>; attacks: Set<string> }> {
  const rows = await store.db
    .selectFrom("sessions")
    .select(["ip_hash", "attack"])
    .where("incident_id", "!=", incidentId)
    .execute();
  return {
    incidents: new Set(rows.map((r) => r.ip_hash)),
    attacks: new Set(rows.filter((r) => r.attack !== null).map((r) => r.ip_hash)),
  };
}

export interface ClusterStats {
  cluster: number;
  sessions: number;
  ips: number;
  features: Partial<Record<SessionFeature, BoxStats | null>>;
  countries: { key: string; share: number }[];
  asns: { key: string; share: number }[];
  bannedShare: number;
  seenInOtherIncident: number;
  seenInOtherAttack: number;
}

/**
 * Per-cluster analytics of an incident, as Bothound's notebook plotted them: feature box plots, country
 * and ASN mix, banned share, and the share of the cluster's IPs seen in another incident or attack.
 */
export async function clusterStats(
  store: Store,
  incidentId: number,
  features: SessionFeature[],
  level: 1 | 2 = 1,
): Promise<ClusterStats[]> {
  const sessions = await sessionsOfIncident(store, incidentId);
  if (sessions.length === 0) throw new UserError(`incident ${incidentId} has no sessions`);
  const elsewhere = await ipsElsewhere(store, incidentId);
  const groups = new Map<number, Session[]>();
  for (const s of sessions) {
    const c = level === 1 ? s.cluster_index : s.cluster_index2;
    if (c === null) continue;
    getOrCreate(groups, c, () => []).push(s);
  }
  if (groups.size === 0)
    throw new UserError(
      `incident ${incidentId} is not clustered${level === 2 ? " at the second level" : ""}: run botscope cluster`,
    );
  return [...groups]
    .sort((a, b) => a[0] - b[0])
    .map(([cluster, list]) => {
      const ips = new Set(list.map((s) => s.ip_hash));
      const countries = new Map<string, number>();
      const asns = new Map<string, number>();
      for (const s of list) {
        increment(countries, s.country ?? "??");
        increment(asns, s.asn === null ? "?" : `AS${s.asn}${s.as_org ? ` ${s.as_org}` : ""}`);
      }
      return {
        cluster,
        sessions: list.length,
        ips: ips.size,
        features: Object.fromEntries(features.map((f) => [f, box(list.map((s) => s[f] ?? Number.NaN))])),
        countries: shares(countries, list.length),
        asns: shares(asns, list.length),
        bannedShare: list.filter((s) => s.banned).length / list.length,
        seenInOtherIncident: [...ips].filter((ip) => elsewhere.incidents.has(ip)).length / ips.size,
        seenInOtherAttack: [...ips].filter((ip) => elsewhere.attacks.has(ip)).length / ips.size,
      };
    });
}

export interface AttackReport {
  attackId: number;
  incidentId: number;
  number: number;
  target: string;
  method: string;
  confidence: number | null;
  sessions: number;
  ips: number;
  start: number;
  end: number;
  countries: { key: string; share: number }[];
  topUserAgents: { key: string; share: number }[];
  /** Bothound's attack metrics. */
  metrics: { sessionLength: number; imageHtmlRatio: number; hitRatePerMinute: number };
}

function mean(values: number[]): number {
  const v = values.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
}

/** Attack summary across incidents: IPs and bots, countries, user agents, Bothound's attack metrics. */
export async function attackReports(store: Store, incidentId?: number): Promise<AttackReport[]> {
  const out: AttackReport[] = [];
  const byIncident = new Map<number, Awaited<ReturnType<typeof sessionsWithAgents>>>();
  for (const a of await listAttacks(store, incidentId)) {
    let all = byIncident.get(a.incident_id);
    if (!all) {
      all = await sessionsWithAgents(store, a.incident_id);
      byIncident.set(a.incident_id, all);
    }
    const rows = all.filter((r) => r.session.attack === a.number);
    const countries = new Map<string, number>();
    const uas = new Map<string, number>();
    for (const r of rows) {
      increment(countries, r.session.country ?? "??");
      increment(uas, r.mainUserAgent ?? "");
    }
    const sessions = rows.map((r) => r.session);
    out.push({
      attackId: a.id,
      incidentId: a.incident_id,
      number: a.number,
      target: a.target,
      method: a.label_method,
      confidence: a.confidence,
      sessions: sessions.length,
      ips: new Set(sessions.map((s) => s.ip_hash)).size,
      // a loop, not Math.min(...): an attack may have more sessions than a call has arguments
      start: sessions.reduce((m, s) => Math.min(m, s.start_time), Number.POSITIVE_INFINITY),
      end: sessions.reduce((m, s) => Math.max(m, s.end_time), Number.NEGATIVE_INFINITY),
      countries: shares(countries, sessions.length),
      topUserAgents: shares(uas, sessions.length, 3),
      metrics: {
        sessionLength: mean(sessions.map((s) => s.session_length ?? Number.NaN)),
        imageHtmlRatio: mean(sessions.map((s) => s.html2image_ratio ?? Number.NaN)),
        hitRatePerMinute: 60 / mean(sessions.map((s) => s.request_interval ?? Number.NaN)),
      },
    });
  }
  return out;
}

/** Other attacks by Bothound's distance (most similar first) and their common IPs with this one. */
export async function similarAttacks(
  store: Store,
  incidentId: number,
  number: number,
  features: SessionFeature[],
) {
  const attack = await requireAttack(store, incidentId, number);
  const own = profile(await attackFeatureRows(store, attack, features), features.length);
  const ownIps = await attackIpHashes(store, attack);
  const out = [];
  for (const other of await listAttacks(store)) {
    if (other.id === attack.id) continue;
    const p = profile(await attackFeatureRows(store, other, features), features.length);
    const ov = overlap(ownIps, await attackIpHashes(store, other));
    out.push({
      incidentId: other.incident_id,
      number: other.number,
      target: other.target,
      distance: attackDistance(own, p),
      commonIps: ov.common,
      shareOfThis: ov.ofA,
      shareOfOther: ov.ofB,
    });
  }
  return out.sort((a, b) => a.distance - b.distance);
}

/** IPs this attack shares with every other incident: count, % of the attack, % of the incident. */
export async function commonIps(store: Store, incidentId: number, number: number) {
  const attack = await requireAttack(store, incidentId, number);
  const ips = await attackIpHashes(store, attack);
  const rows = await store.db
    .selectFrom("sessions")
    .innerJoin("incidents", "incidents.id", "sessions.incident_id")
    .innerJoin("targets", "targets.id", "incidents.target_id")
    .select(["sessions.incident_id as incidentId", "sessions.ip_hash", "targets.host as target"])
    .where("sessions.incident_id", "!=", incidentId)
    .execute();
  const byIncident = new Map<number, { target: string; ips: Set<string> }>();
  for (const r of rows)
    getOrCreate(byIncident, r.incidentId, () => ({ target: r.target, ips: new Set() })).ips.add(r.ip_hash);
  return [...byIncident]
    .map(([id, { target, ips: other }]) => {
      const ov = overlap(ips, other);
      return { incidentId: id, target, commonIps: ov.common, shareOfAttack: ov.ofA, shareOfIncident: ov.ofB };
    })
    .filter((r) => r.commonIps > 0)
    .sort((a, b) => b.commonIps - a.commonIps);
}
