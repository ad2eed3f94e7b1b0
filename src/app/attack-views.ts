/** Attacks and botnets as the dashboard lists them: reports with their botnet, botnet histories, exports. */
import type { Config } from "../core/config.ts";
import { ConflictError, ForbiddenError, NotFoundError } from "../core/errors.ts";
import { attackSpans, labelAttack, listAttacks } from "../store/attacks.ts";
import { attackBotnetLinks, botnetAttacks, findBotnet, listBotnets } from "../store/botnets.ts";
import type { Store } from "../store/open.ts";
import { SESSION_FEATURES } from "../store/schema.ts";
import { clusterCounts, scopeIpCount } from "../store/session-aggregates.ts";
import { sessionsOfIncident } from "../store/sessions.ts";
import { attackReports } from "./analytics.ts";
import { requireAttackOf, requireIncident } from "./explore.ts";
import type { Revealer } from "./reveal.ts";

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Attack reports (of one incident, or all) with the comment and the botnet each is linked to. */
export async function attackList(store: Store, incidentId?: number) {
  if (incidentId !== undefined) await requireIncident(store, incidentId);
  const links = await attackBotnetLinks(store);
  const comments = new Map((await listAttacks(store, incidentId)).map((a) => [a.id, a.comment]));
  return (await attackReports(store, incidentId)).map((r) => {
    const link = links.get(r.attackId);
    return {
      ...r,
      start: finite(r.start),
      end: finite(r.end),
      comment: comments.get(r.attackId) ?? null,
      metrics: {
        sessionLength: finite(r.metrics.sessionLength),
        imageHtmlRatio: finite(r.metrics.imageHtmlRatio),
        hitRatePerMinute: finite(r.metrics.hitRatePerMinute),
      },
      botnet: link
        ? { id: link.botnetId, name: link.name, decision: link.decision, score: link.score }
        : null,
    };
  });
}

export async function attackDetail(store: Store, incidentId: number, number: number) {
  const attack = await requireAttackOf(store, incidentId, number);
  const report = (await attackList(store, incidentId)).find((r) => r.attackId === attack.id);
  if (!report) throw new NotFoundError(`incident ${incidentId} has no attack ${number}`);
  return report;
}

/**
 * Bothound's label_attack from the dashboard: the sessions of the given clusters become attack `number`
 * (default: the next free number). Unknown cluster numbers are an error, not an empty attack.
 */
export async function labelAttackClusters(
  store: Store,
  incidentId: number,
  o: { clusters: number[]; clusters2: number[]; comment?: string; number?: number },
) {
  await requireIncident(store, incidentId);
  for (const [level, wanted] of [
    [1, o.clusters],
    [2, o.clusters2],
  ] as const) {
    if (wanted.length === 0) continue;
    const known = new Set((await clusterCounts(store, incidentId, level)).map((c) => c.cluster));
    if (known.size === 0)
      throw new ConflictError(`incident ${incidentId} is not clustered${level === 2 ? " at level 2" : ""}`);
    const unknown = wanted.filter((c) => !known.has(c));
    if (unknown.length)
      throw new NotFoundError(
        `incident ${incidentId} has no ${level === 2 ? "level-2 " : ""}cluster ${unknown.join(", ")} (clusters: ${[...known].join(", ")})`,
      );
  }
  const number =
    o.number ?? (await listAttacks(store, incidentId)).reduce((m, a) => Math.max(m, a.number), 0) + 1;
  const r = await labelAttack(
    store,
    incidentId,
    number,
    { clusters: o.clusters, clusters2: o.clusters2 },
    { method: "manual", comment: o.comment ?? null },
  );
  return {
    attack: {
      id: r.attack.id,
      incidentId,
      number: r.attack.number,
      method: r.attack.label_method,
      comment: r.attack.comment,
    },
    sessions: r.sessions,
  };
}

/** Every botnet with its attacks, distinct IPs, targets and when it was seen. */
export async function botnetList(store: Store) {
  const spans = await attackSpans(store);
  const spanOf = (incidentId: number, number: number) =>
    spans.find((s) => s.incidentId === incidentId && s.number === number);
  const out = [];
  for (const b of await listBotnets(store)) {
    const attacks = await botnetAttacks(store, b.id);
    const s = attacks.map((a) => spanOf(a.incidentId, a.number)).filter((x) => x !== undefined);
    out.push({
      id: b.id,
      name: b.name,
      comment: b.comment,
      attacks: attacks.length,
      ips: await scopeIpCount(store, { kind: "botnet", botnetId: b.id }),
      targets: [...new Set(attacks.map((a) => a.target))].sort(),
      firstSeen: s.length ? Math.min(...s.map((x) => x.start)) : null,
      lastSeen: s.length ? Math.max(...s.map((x) => x.end)) : null,
    });
  }
  return out;
}

/** One botnet's history: its attacks in time order, with sessions and IPs. */
export async function botnetDetail(store: Store, idOrName: string) {
  const botnet = await findBotnet(store, /^\d+$/.test(idOrName) ? Number(idOrName) : idOrName);
  if (!botnet) throw new NotFoundError(`no botnet ${idOrName}`);
  const spans = await attackSpans(store);
  const attacks = (await botnetAttacks(store, botnet.id)).map((a) => {
    const s = spans.find((x) => x.incidentId === a.incidentId && x.number === a.number);
    return {
      attackId: a.attackId,
      incidentId: a.incidentId,
      number: a.number,
      target: a.target,
      start: s?.start ?? Number(a.start),
      end: s?.end ?? null,
      sessions: s?.sessions ?? 0,
      ips: s?.ips ?? 0,
      score: a.score == null ? null : Number(a.score),
      decision: a.decision,
    };
  });
  attacks.sort((a, b) => a.start - b.start);
  return {
    botnet: {
      id: botnet.id,
      name: botnet.name,
      comment: botnet.comment,
      createdAt: Number(botnet.created_at),
    },
    ips: await scopeIpCount(store, { kind: "botnet", botnetId: botnet.id }),
    attacks,
  };
}

export const ATTACK_EXPORT_COLUMNS = [
  "ip",
  "ip_hash",
  "session_id",
  "start_time",
  "end_time",
  "requests",
  "country",
  "asn",
  "as_org",
  "banned",
  "cluster_index",
  "cluster_index2",
  ...SESSION_FEATURES,
];

/** An attack's sessions with decrypted IPs: only a server started with the passphrase and --reveal-ips. */
export async function attackExport(
  store: Store,
  _config: Config,
  incidentId: number,
  number: number,
  revealer: Revealer,
): Promise<Record<string, unknown>[]> {
  if (!revealer.enabled)
    throw new ForbiddenError("exporting IPs needs a server started with the passphrase and --reveal-ips");
  const incident = await requireIncident(store, incidentId);
  await requireAttackOf(store, incidentId, number);
  const rows: Record<string, unknown>[] = [];
  for (const s of await sessionsOfIncident(store, incidentId)) {
    if (s.attack !== number) continue;
    rows.push({
      ...s,
      ip: await revealer.reveal(incident.key_id, s.ip_encrypted, s.ip_plain),
      session_id: s.id,
    });
  }
  return rows;
}
