import {
  attacksByTime,
  type ClusterEvidence,
  clusterEvidence,
  type LabelSession,
} from "../botnets/auto-label.ts";
import { featureMatrix } from "../botnets/cluster.ts";
import { ConflictError, NotFoundError, UserError } from "../core/errors.ts";
import { IsolationForest } from "../ml/isolation-forest.ts";
import { StandardScaler } from "../ml/scale.ts";
import { type AttackSelection, labelAttack, listAttacks } from "../store/attacks.ts";
import { getIncident } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import { SESSION_FEATURES, type SessionFeature } from "../store/schema.ts";
import { sessionsWithAgents } from "../store/sessions.ts";
import { clusterIncident } from "./cluster.ts";

/** Features the automatic workflow clusters on (log-scaled): rates, sizes, mix of resources, errors. */
export const AUTO_FEATURES: SessionFeature[] = [
  "request_interval",
  "ua_change_rate",
  "html2image_ratio",
  "variance_request_interval",
  "payload_average",
  "error_rate",
  "request_depth",
  "session_length",
  "percentage_cons_requests",
  "server_error_rate",
  "post_share",
  "distinct_path_ratio",
  "distinct_query_ratio",
  "css_html_ratio",
  "js_html_ratio",
  "image_html_ratio",
];

/** Fewest sessions an automatically proposed attack has. */
const MIN_ATTACK_SESSIONS = 5;

export interface LabelledAttack {
  number: number;
  sessions: number;
  start: number;
  end: number;
  confidence: number;
  clusters: number[];
  reasons: string[];
}

export interface AutoLabelResult {
  incidentId: number;
  clustered: boolean;
  evidence: ClusterEvidence[];
  attacks: LabelledAttack[];
}

/** label_attack by clusters, as an analyst does after looking at them. */
export async function labelClusters(
  store: Store,
  incidentId: number,
  attack: number,
  selection: AttackSelection,
  comment?: string,
): Promise<number> {
  if (!(await getIncident(store, incidentId))) throw new NotFoundError(`no incident ${incidentId}`);
  const r = await labelAttack(store, incidentId, attack, selection, { method: "manual", comment });
  return r.sessions;
}

/** The attacks a proposal would label, with the sessions each takes. */
interface Proposal {
  evidence: ClusterEvidence[];
  attacks: (LabelledAttack & { sessionIds: number[] })[];
}

/**
 * Scores each cluster against the incident's own baseline (rate, missing assets, errors, one user agent,
 * regular timing, isolation-forest outlierness) and splits the attack clusters' sessions into attacks by
 * time, numbered after the incident's existing attacks. Writes nothing.
 */
async function propose(
  store: Store,
  incidentId: number,
  rows: Awaited<ReturnType<typeof sessionsWithAgents>>,
  opts: { seed?: number; gapSeconds?: number },
): Promise<Proposal> {
  const sessions = rows.map((r) => r.session);
  const m = new StandardScaler().fitTransform(featureMatrix(sessions, AUTO_FEATURES, true));
  const outliers =
    sessions.length >= 2
      ? new IsolationForest({ nTrees: 100, sampleSize: 256, seed: opts.seed ?? 0 }).fitScore(m)
      : new Float64Array(sessions.length);
  const labelRows: LabelSession[] = rows.map((r, i) => ({
    cluster: r.session.cluster_index ?? 0,
    start: r.session.start_time,
    end: r.session.end_time,
    requests: r.session.requests,
    features: Object.fromEntries(
      SESSION_FEATURES.map((f) => [f, r.session[f] ?? 0]),
    ) as LabelSession["features"],
    mainUa: r.mainUserAgentId ?? -1,
    declaredBot: r.declaredBot,
    outlier: outliers[i],
  }));
  const evidence = clusterEvidence(labelRows);
  const attackClusters = new Set(evidence.filter((e) => e.verdict === "attack").map((e) => e.cluster));
  const members = labelRows
    .map((s, i) => ({ index: i, start: s.start, end: s.end, cluster: s.cluster }))
    .filter((s) => attackClusters.has(s.cluster));
  // a handful of sessions from an attack-like cluster at another time is not an attack of its own
  const allGroups = attacksByTime(members, opts.gapSeconds ?? 1800);
  const largest = allGroups.reduce((m, g) => Math.max(m, g.length), 0);
  const groups = allGroups.filter((g) => g.length >= Math.max(MIN_ATTACK_SESSIONS, 0.05 * largest));
  const existing = await listAttacks(store, incidentId);
  let number = existing.reduce((m, a) => Math.max(m, a.number), 0);
  const attacks: Proposal["attacks"] = [];
  for (const group of groups) {
    number++;
    const clusters = [...new Set(group.map((i) => labelRows[i].cluster))].sort((a, b) => a - b);
    // strongest evidence first: the clusters holding most of the attack's sessions
    const ev = evidence.filter((e) => clusters.includes(e.cluster)).sort((a, b) => b.sessions - a.sessions);
    const confidence =
      ev.reduce((s, e) => s + e.score * e.sessions, 0) / ev.reduce((s, e) => s + e.sessions, 0);
    const reasons = [...new Set(ev.flatMap((e) => e.reasons))];
    attacks.push({
      number,
      sessions: group.length,
      start: Math.min(...group.map((i) => labelRows[i].start)),
      end: Math.max(...group.map((i) => labelRows[i].end)),
      confidence,
      clusters,
      reasons,
      sessionIds: group.map((i) => sessions[i].id),
    });
  }
  return { evidence, attacks };
}

/**
 * The automatic proposal for an already clustered incident, without labelling anything (the dashboard
 * shows it before the analyst accepts it).
 */
export async function proposeAttacks(
  store: Store,
  incidentId: number,
  opts: { seed?: number; gapSeconds?: number } = {},
): Promise<AutoLabelResult> {
  if (!(await getIncident(store, incidentId))) throw new NotFoundError(`no incident ${incidentId}`);
  const rows = await sessionsWithAgents(store, incidentId);
  if (rows.length === 0) throw new UserError(`incident ${incidentId} has no sessions`);
  if (rows.every((r) => r.session.cluster_index === null))
    throw new ConflictError(`incident ${incidentId} is not clustered: cluster it first`);
  const p = await propose(store, incidentId, rows, opts);
  return {
    incidentId,
    clustered: false,
    evidence: p.evidence,
    attacks: p.attacks.map(({ sessionIds: _ids, ...a }) => a),
  };
}

/**
 * Proposes and labels attacks automatically: clusters the sessions (k-means, k by silhouette, on
 * log-scaled features) unless the incident is clustered already, then labels what `propose` finds.
 */
export async function autoLabel(
  store: Store,
  incidentId: number,
  opts: { seed?: number; gapSeconds?: number } = {},
): Promise<AutoLabelResult> {
  if (!(await getIncident(store, incidentId))) throw new NotFoundError(`no incident ${incidentId}`);
  let rows = await sessionsWithAgents(store, incidentId);
  if (rows.length === 0) throw new UserError(`incident ${incidentId} has no sessions`);
  let clustered = false;
  if (rows.every((r) => r.session.cluster_index === null)) {
    // finer than the silhouette's usual k = 2: attacks, crawlers and odd humans each get their own clusters
    await clusterIncident(store, incidentId, {
      features: AUTO_FEATURES,
      algo: "kmeans",
      log: true,
      kMin: 6,
      kMax: 14,
      seed: opts.seed ?? 0,
    });
    rows = await sessionsWithAgents(store, incidentId);
    clustered = true;
  }
  const { evidence, attacks } = await propose(store, incidentId, rows, opts);
  for (const a of attacks) {
    await labelAttack(
      store,
      incidentId,
      a.number,
      { sessionIds: a.sessionIds },
      { method: "auto", confidence: a.confidence, comment: a.reasons.join("; ") },
    );
  }
  return { incidentId, clustered, evidence, attacks: attacks.map(({ sessionIds: _ids, ...a }) => a) };
}
