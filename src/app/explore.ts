/**
 * What the dashboard shows of one incident (Bothound's notebook, done by the server): paged sessions,
 * sampled scatter plots (raw features or PCA), per-cluster aggregates, box plots, country counts and IP
 * overlap with other incidents, attacks and botnets. Aggregates run in the database or over one narrow
 * column read, so an incident of 100,000 sessions answers in well under a second.
 */
import { NotFoundError, UserError } from "../core/errors.ts";
import { getOrCreate } from "../core/maps.ts";
import { Rng } from "../core/random.ts";
import { pca } from "../ml/pca.ts";
import { quantileSorted, StandardScaler } from "../ml/scale.ts";
import { findAttack, listAttacks } from "../store/attacks.ts";
import { findBotnet } from "../store/botnets.ts";
import { getIncident, type IncidentRow } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import { SESSION_FEATURES, type Session, type SessionFeature } from "../store/schema.ts";
import {
  type ClusterLevel,
  clusterBreakdown,
  clusterCounts,
  clusterSharedIps,
  countryCounts,
  type IpScope,
  type SessionFilter,
  type SessionPointRow,
  type SessionSortColumn,
  scopeIpCount,
  sessionColumns,
  sessionColumnsById,
  sessionsPage,
} from "../store/session-aggregates.ts";
import { AUTO_FEATURES } from "./label.ts";
import type { Revealer } from "./reveal.ts";

export const FEATURE_LABELS: Record<SessionFeature, string> = {
  request_interval: "Request interval (s)",
  ua_change_rate: "User-agent change rate",
  html2image_ratio: "HTML to image ratio",
  variance_request_interval: "Request interval variance",
  payload_average: "Payload average (bytes)",
  error_rate: "Error rate (4xx)",
  request_depth: "Request depth",
  request_depth_std: "Request depth std",
  session_length: "Session length (s)",
  percentage_cons_requests: "Consecutive same requests (%)",
  server_error_rate: "Server error rate (5xx)",
  head_share: "HEAD share",
  post_share: "POST share",
  distinct_path_ratio: "Distinct path ratio",
  distinct_query_ratio: "Distinct query ratio",
  path_depth_mean: "Path depth mean",
  path_depth_var: "Path depth variance",
  css_html_ratio: "CSS per HTML",
  js_html_ratio: "JS per HTML",
  image_html_ratio: "Images per HTML",
  ua_count: "User agents",
};

export function featureList() {
  return SESSION_FEATURES.map((name) => ({
    name,
    label: FEATURE_LABELS[name],
    auto: AUTO_FEATURES.includes(name),
  }));
}

export async function requireIncident(store: Store, id: number): Promise<IncidentRow> {
  const incident = await getIncident(store, id);
  if (!incident) throw new NotFoundError(`no incident ${id}`);
  return incident;
}

const finite = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : x);

export interface SessionView {
  id: number;
  ipHash: string;
  ip: string | null;
  sessionNumber: number;
  start: number;
  end: number;
  requests: number;
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  banned: boolean;
  cluster: number | null;
  cluster2: number | null;
  attack: number | null;
  features: Record<SessionFeature, number | null>;
}

export function sessionView(s: Session, ip: string | null): SessionView {
  return {
    id: s.id,
    ipHash: s.ip_hash,
    ip,
    sessionNumber: s.session_number,
    start: Number(s.start_time),
    end: Number(s.end_time),
    requests: s.requests,
    country: s.country,
    asn: s.asn,
    asOrg: s.as_org,
    banned: s.banned === 1,
    cluster: s.cluster_index,
    cluster2: s.cluster_index2,
    attack: s.attack,
    features: Object.fromEntries(SESSION_FEATURES.map((f) => [f, finite(s[f])])) as Record<
      SessionFeature,
      number | null
    >,
  };
}

/** One page of sessions; IPs only through the revealer. */
export async function sessionRows(
  store: Store,
  incidentId: number,
  revealer: Revealer,
  page: { limit: number; offset: number; sort: SessionSortColumn; desc: boolean; filter: SessionFilter },
) {
  const incident = await requireIncident(store, incidentId);
  const { total, rows } = await sessionsPage(store, incidentId, page);
  const out: SessionView[] = [];
  for (const s of rows)
    out.push(sessionView(s, await revealer.reveal(incident.key_id, s.ip_encrypted, s.ip_plain)));
  return { total, offset: page.offset, limit: page.limit, rows: out };
}

/**
 * At most `sample` rows, stratified by level-1 cluster: every cluster keeps min(size, 50) rows (fewer
 * when there are very many clusters), the rest of the budget is shared in proportion to cluster size.
 * Seeded: the same request draws the same points.
 */
export function stratifiedSample<T extends { id: number; cluster_index: number | null }>(
  rows: T[],
  sample: number,
  seed: number,
): T[] {
  if (rows.length <= sample) return rows;
  const strata = new Map<number, T[]>();
  for (const r of rows) {
    const key = r.cluster_index ?? Number.MIN_SAFE_INTEGER;
    getOrCreate(strata, key, () => []).push(r);
  }
  const lists = [...strata.values()];
  const floor = Math.min(50, Math.floor(sample / (2 * lists.length)));
  const take = lists.map((l) => Math.min(l.length, floor));
  const budget = sample - take.reduce((a, b) => a + b, 0);
  const rest = rows.length - take.reduce((a, b) => a + b, 0);
  // the rest of the budget in proportion to what is left of each cluster, largest remainders first
  const shares = lists.map((l, i) => (budget * (l.length - take[i])) / rest);
  shares.forEach((x, i) => {
    take[i] += Math.floor(x);
  });
  let left = sample - take.reduce((a, b) => a + b, 0);
  const order = shares.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    if (take[i] < lists[i].length) {
      take[i]++;
      left--;
    }
  }
  const rng = new Rng(seed);
  const out: T[] = [];
  lists.forEach((list, i) => {
    // partial Fisher-Yates: the first take[i] of a random permutation
    const a = list.slice();
    for (let j = 0; j < take[i]; j++) {
      const k = j + rng.int(a.length - j);
      [a[j], a[k]] = [a[k], a[j]];
      out.push(a[j]);
    }
  });
  return out.sort((a, b) => a.id - b.id);
}

export interface ScatterOptions {
  /** Raw axes ... */
  x?: SessionFeature;
  y?: SessionFeature;
  z?: SessionFeature;
  /** ... or principal components of these features. */
  pca?: { features: SessionFeature[]; dims: 2 | 3 };
  sample: number;
  log: boolean;
  seed: number;
}

export type ScatterPoint = [
  number,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number,
];

const log1p = (v: number) => (v >= 0 ? Math.log1p(v) : v);

/** Sampled scatter points [x, y, z, cluster, cluster2, attack, sessionId] and the incident's total. */
export async function scatter(store: Store, incidentId: number, o: ScatterOptions) {
  await requireIncident(store, incidentId);
  const features: SessionFeature[] = o.pca
    ? o.pca.features
    : ([o.x, o.y, o.z].filter(Boolean) as SessionFeature[]);
  if (features.length < 2)
    throw new UserError(o.pca ? "pca needs at least 2 features" : "scatter needs x and y");
  const value = (v: number | null) => (v == null || !Number.isFinite(v) ? null : o.log ? log1p(v) : v);
  if (!o.pca) {
    const all = await sessionColumns(store, incidentId, features);
    const total = all.length;
    const usable = all.filter((r) => value(r.values[0]) !== null && value(r.values[1]) !== null);
    const rows = stratifiedSample(usable, o.sample, o.seed);
    const points: ScatterPoint[] = rows.map((r) => [
      value(r.values[0])!,
      value(r.values[1])!,
      o.z ? value(r.values[2]) : null,
      r.cluster_index,
      r.cluster_index2,
      r.attack,
      r.id,
    ]);
    return { total, sampled: points.length, axes: features, explained: null, points };
  }
  // PCA reads many columns: sample on the labels first, then read the features of the sample only
  const labels = await sessionColumns(store, incidentId, []);
  const total = labels.length;
  const chosen = stratifiedSample(labels, o.sample, o.seed);
  const rows: SessionPointRow[] =
    chosen.length === total
      ? await sessionColumns(store, incidentId, features)
      : await sessionColumnsById(
          store,
          chosen.map((r) => r.id),
          features,
        );
  const dims = o.pca.dims;
  if (rows.length < 2) return { total, sampled: 0, axes: pcAxes(dims), explained: null, points: [] };
  const d = features.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) data[i * d + j] = value(r.values[j]) ?? Number.NaN;
  });
  const scaled = new StandardScaler().fitTransform({ data, rows: rows.length, cols: d });
  // missing values sit at the column mean (0 after scaling)
  for (let i = 0; i < scaled.data.length; i++) if (!Number.isFinite(scaled.data[i])) scaled.data[i] = 0;
  const model = pca(scaled, Math.min(dims, d, rows.length));
  const projected = model.transform(scaled);
  const k = projected.cols;
  const points: ScatterPoint[] = rows.map((r, i) => [
    projected.data[i * k],
    k > 1 ? projected.data[i * k + 1] : 0,
    dims === 3 && k > 2 ? projected.data[i * k + 2] : null,
    r.cluster_index,
    r.cluster_index2,
    r.attack,
    r.id,
  ]);
  return {
    total,
    sampled: points.length,
    axes: pcAxes(dims),
    explained: Array.from(model.explainedVarianceRatio),
    points,
  };
}

const pcAxes = (dims: number) => Array.from({ length: dims }, (_, i) => `PC${i + 1}`);

/** The n heaviest, ties in key order (the same answer on every store). */
function top<T extends { key: string | number | null }>(list: T[], n: number, weight: (t: T) => number): T[] {
  const key = (t: T) => (t.key === null ? "\uffff" : String(t.key));
  return list
    .sort((a, b) => weight(b) - weight(a) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .slice(0, n);
}

/** Per cluster: sessions, IPs, banned share, attacks, top countries and ASNs, IPs seen elsewhere. */
export async function clusterAggregates(store: Store, incidentId: number, level: ClusterLevel) {
  await requireIncident(store, incidentId);
  const counts = await clusterCounts(store, incidentId, level);
  if (counts.length === 0) return { level, clustered: false, clusters: [] };
  const [countries, asns, attacks, otherIncidents, otherAttacks] = await Promise.all([
    clusterBreakdown(store, incidentId, level, "country"),
    clusterBreakdown(store, incidentId, level, "asn"),
    clusterBreakdown(store, incidentId, level, "attack"),
    clusterSharedIps(store, incidentId, level, { kind: "otherIncidents", incidentId }),
    clusterSharedIps(store, incidentId, level, { kind: "otherAttacks", incidentId }),
  ]);
  return {
    level,
    clustered: true,
    clusters: counts.map((c) => ({
      cluster: c.cluster,
      sessions: c.sessions,
      ips: c.ips,
      bannedShare: c.banned / c.sessions,
      attacks: Object.fromEntries(
        attacks.filter((a) => a.cluster === c.cluster && a.key !== null).map((a) => [a.key, a.sessions]),
      ),
      countries: top(
        countries.filter((x) => x.cluster === c.cluster),
        5,
        (x) => x.sessions,
      ).map((x) => ({ country: (x.key as string | null) ?? "??", sessions: x.sessions })),
      asns: top(
        asns.filter((x) => x.cluster === c.cluster),
        5,
        (x) => x.sessions,
      ).map((x) => ({ asn: x.key as number | null, asOrg: x.label, sessions: x.sessions })),
      seenInOtherIncident: (otherIncidents.get(c.cluster) ?? 0) / c.ips,
      seenInOtherAttack: (otherAttacks.get(c.cluster) ?? 0) / c.ips,
      ...(level === 2 ? { parent: c.parent } : {}),
    })),
  };
}

/** Box statistics of one feature per cluster (sessions with a value). */
export async function clusterBox(
  store: Store,
  incidentId: number,
  feature: SessionFeature,
  level: ClusterLevel,
) {
  await requireIncident(store, incidentId);
  const groups = new Map<number, number[]>();
  for (const r of await sessionColumns(store, incidentId, [feature])) {
    const c = level === 1 ? r.cluster_index : r.cluster_index2;
    if (c === null) continue;
    const list = getOrCreate(groups, c, () => []);
    const v = r.values[0];
    if (v !== null && Number.isFinite(v)) list.push(v);
  }
  return [...groups]
    .sort((a, b) => a[0] - b[0])
    .map(([cluster, values]) => {
      const v = Float64Array.from(values).sort();
      const q = (p: number) => (v.length ? quantileSorted(v, p) : null);
      return {
        cluster,
        n: v.length,
        min: v.length ? v[0] : null,
        q1: q(0.25),
        median: q(0.5),
        q3: q(0.75),
        max: v.length ? v[v.length - 1] : null,
      };
    });
}

/** Sessions and IPs per country, optionally of one cluster or attack; most sessions first. */
export async function incidentCountries(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
  filter: { cluster?: number; attack?: number },
) {
  await requireIncident(store, incidentId);
  if (filter.cluster !== undefined) await requireCluster(store, incidentId, level, filter.cluster);
  const rows = await countryCounts(store, incidentId, level, filter);
  return rows
    .map((r) => ({ country: r.country ?? "??", sessions: r.sessions, ips: r.ips }))
    .sort((a, b) => b.sessions - a.sessions || a.country.localeCompare(b.country));
}

/** Fails with 404 when the incident has no such cluster at that level. */
export async function requireCluster(
  store: Store,
  incidentId: number,
  level: ClusterLevel,
  cluster: number,
): Promise<void> {
  const counts = await clusterCounts(store, incidentId, level);
  if (!counts.some((c) => c.cluster === cluster))
    throw new NotFoundError(
      counts.length === 0
        ? `incident ${incidentId} is not clustered${level === 2 ? " at level 2" : ""}`
        : `incident ${incidentId} has no cluster ${cluster}${level === 2 ? " at level 2" : ""} (clusters: ${counts.map((c) => c.cluster).join(", ")})`,
    );
}

export type OverlapAgainst =
  | { kind: "incident"; id: number }
  | { kind: "attack"; id: number }
  | { kind: "botnet"; idOrName: string };

/** Per level-1 cluster: its IPs also seen in another incident, attack (by id) or botnet. */
export async function clusterOverlap(store: Store, incidentId: number, against: OverlapAgainst) {
  await requireIncident(store, incidentId);
  let scope: IpScope;
  let id: number;
  if (against.kind === "incident") {
    await requireIncident(store, against.id);
    scope = { kind: "incident", incidentId: against.id };
    id = against.id;
  } else if (against.kind === "attack") {
    const attack = (await listAttacks(store)).find((a) => a.id === against.id);
    if (!attack) throw new NotFoundError(`no attack with id ${against.id}`);
    scope = { kind: "attack", incidentId: attack.incident_id, number: attack.number };
    id = attack.id;
  } else {
    const botnet = await findBotnet(
      store,
      /^\d+$/.test(against.idOrName) ? Number(against.idOrName) : against.idOrName,
    );
    if (!botnet) throw new NotFoundError(`no botnet ${against.idOrName}`);
    scope = { kind: "botnet", botnetId: botnet.id };
    id = botnet.id;
  }
  const counts = await clusterCounts(store, incidentId, 1);
  const shared = await clusterSharedIps(store, incidentId, 1, scope);
  return {
    against: { kind: against.kind, id, ips: await scopeIpCount(store, scope) },
    clusters: counts.map((c) => ({
      cluster: c.cluster,
      ips: c.ips,
      shared: shared.get(c.cluster) ?? 0,
      share: (shared.get(c.cluster) ?? 0) / c.ips,
    })),
  };
}

/** An attack of an incident by number, or 404. */
export async function requireAttackOf(store: Store, incidentId: number, number: number) {
  await requireIncident(store, incidentId);
  const attack = await findAttack(store, incidentId, number);
  if (!attack) throw new NotFoundError(`incident ${incidentId} has no attack ${number}`);
  return attack;
}
