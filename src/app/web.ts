import { createHash } from "node:crypto";
import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import { getOrCreate, increment } from "../core/maps.ts";
import type { GeoInfo, GeoLookup } from "../geo/geo.ts";
import type { BadLineReport } from "../ingest/bad-lines.ts";
import { type BanList, banFor } from "../ingest/bans.ts";
import { utf8Text } from "../ingest/weblog/record.ts";
import { createIncident } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import type { NewSession } from "../store/schema.ts";
import { insertSessions } from "../store/sessions.ts";
import { userAgentId } from "../store/user-agents.ts";
import { type RequestSource, runWebSessions, type WebRunOptions, type WebRunStats } from "../web/pipeline.ts";
import type { WebSession } from "../web/sessionizer.ts";
import { parseUserAgent } from "../web/user-agent.ts";
import { currentKey, ipHasher } from "./keys.ts";

export interface WebAnalyzeOptions extends WebRunOptions {
  /** Log files, or another source of requests (Elasticsearch). */
  files: string[] | RequestSource;
  geo?: GeoLookup;
  bans?: BanList;
  /** Also keep plain IPs in the store (off unless the user asks). */
  storePlainIps?: boolean;
  /** Fail (and write nothing) when any line was bad. */
  strict?: boolean;
  /** Write into this existing incident instead of creating one per target. */
  incidentId?: number;
  /** Keep the incident's time range as created (from --from/--to) instead of the traffic's. */
  keepRange?: boolean;
  source?: string;
}

export interface TargetSummary {
  target: string;
  incidentId: number;
  start: string;
  stop: string;
  requests: number;
  ips: number;
  sessions: number;
  banned: number;
  statusMix: Record<string, number>;
  topCountries: { country: string; sessions: number }[];
  topUserAgents: { userAgent: string; requests: number; family: string | null; bot: boolean }[];
}

export interface WebAnalyzeSummary {
  format: string;
  lines: number;
  requests: number;
  filtered: number;
  badLines: BadLineReport;
  targets: TargetSummary[];
}

/** What a session becomes in the store, with geo and ban decided here (application, not detector). */
export interface EnrichedSession {
  session: WebSession;
  geo: GeoInfo;
  ban: { rule: string } | undefined;
}

function top<K>(counts: Map<K, number>, n: number): [K, number][] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

const iso = (t: number) => new Date(t * 1000).toISOString();

/**
 * Web logs to stored incidents: parse, sessionize, enrich (country, ASN, bans, user agents), then write
 * sessions with hashed and encrypted IPs, one incident per target. Sessions are written in batches while
 * reading; an incident is marked closed only when its run completed, and removed if the run fails.
 */
export async function analyzeWeb(
  store: Store,
  config: Config,
  opts: WebAnalyzeOptions,
): Promise<WebAnalyzeSummary> {
  const { key, cipher } = await currentKey(store, config);
  const hasher = ipHasher(config);
  const incidents = new Map<string, number>();
  const pending = new Map<string, EnrichedSession[]>();
  const countries = new Map<string, Map<string, number>>();
  const uaRequests = new Map<string, Map<string, number>>();
  const banned = new Map<string, number>();
  const uaIds = new Map<string, number>();
  const created: number[] = [];

  const incidentFor = async (target: string, firstTime: number): Promise<number> => {
    let id = incidents.get(target) ?? opts.incidentId;
    if (id === undefined) {
      const incident = await createIncident(store, {
        target,
        start: firstTime,
        stop: null,
        status: "open",
        origin: "analyze",
        source: opts.source ?? (Array.isArray(opts.files) ? opts.files.join(" ") : "source"),
        key_id: key.id,
      });
      id = incident.id;
      created.push(id);
    }
    incidents.set(target, id);
    return id;
  };

  const uaIdOf = async (ua: string): Promise<number> => {
    let id = uaIds.get(ua);
    if (id === undefined) {
      const text = utf8Text(ua);
      const p = parseUserAgent(text);
      id = await userAgentId(store, {
        ua_hash: createHash("sha256").update(text).digest("base64url"),
        ua: text,
        family: p.family,
        os: p.os,
        device: p.device,
        is_bot: p.isBot ? 1 : 0,
      });
      uaIds.set(ua, id);
    }
    return id;
  };

  const write = async (force: boolean) => {
    for (const [target, list] of pending) {
      if (list.length === 0 || (!force && list.length < 2000)) continue;
      pending.set(target, []);
      const incidentId = await incidentFor(target, Math.min(...list.map((e) => e.session.start)));
      const rows: NewSession[] = list.map(({ session: s, geo, ban }) => ({
        incident_id: incidentId,
        ip_hash: hasher.hash(s.ip),
        ip_encrypted: cipher.encrypt(s.ip),
        ip_plain: opts.storePlainIps ? s.ip : null,
        host: s.host,
        session_number: s.sessionNumber,
        start_time: s.start,
        end_time: s.end,
        requests: s.requests,
        ...s.features,
        country: geo.country,
        asn: geo.asn,
        as_org: geo.asOrg === null ? null : utf8Text(geo.asOrg),
        banned: ban ? 1 : 0,
        ban_rule: ban?.rule ?? null,
      }));
      const links = [];
      for (const e of list) {
        const l = [];
        for (const u of e.session.userAgents)
          l.push({ userAgentId: await uaIdOf(u.ua), requests: u.requests });
        links.push(l);
      }
      await insertSessions(store, rows, links);
    }
  };

  let stats: WebRunStats;
  try {
    stats = await runWebSessions(
      opts.files,
      opts,
      (target, session) => {
        const geo = opts.geo?.lookup(session.ip) ?? { country: null, asn: null, asOrg: null };
        const ban = banFor(opts.bans, session.ip, session.start, session.end, opts.gapSeconds);
        if (ban) increment(banned, target);
        increment(
          getOrCreate(countries, target, () => new Map()),
          geo.country ?? "??",
        );
        const uas = getOrCreate(uaRequests, target, () => new Map());
        for (const x of session.userAgents) increment(uas, x.ua, x.requests);
        getOrCreate(pending, target, () => []).push({ session, geo, ban });
      },
      () => write(false),
    );
    await write(true);
    if (stats.requests === 0 && stats.lines > 0 && stats.bad.total === stats.lines)
      throw new UserError(
        `no readable request in ${opts.source ?? String(opts.files)} (${stats.bad.describe()[0]})`,
      );
    if (opts.strict && stats.bad.total > 0)
      throw new UserError(
        `--strict: ${stats.bad.total} bad line(s), nothing stored:\n${stats.bad.describe().join("\n")}`,
      );
  } catch (e) {
    for (const id of created) await store.db.deleteFrom("incidents").where("id", "=", id).execute();
    throw e;
  }

  const targets: TargetSummary[] = [];
  for (const t of stats.targets.values()) {
    const incidentId = incidents.get(t.target) ?? (await incidentFor(t.target, t.first));
    await store.db
      .updateTable("incidents")
      .set(opts.keepRange ? { status: "closed" } : { start: t.first, stop: t.last, status: "closed" })
      .where("id", "=", incidentId)
      .execute();
    const [c1, c2, c3, c4, c5] = t.statusClasses;
    targets.push({
      target: t.target,
      incidentId,
      start: iso(t.first),
      stop: iso(t.last),
      requests: t.requests,
      ips: t.ips,
      sessions: t.sessions,
      banned: banned.get(t.target) ?? 0,
      statusMix: { "1xx": c1, "2xx": c2, "3xx": c3, "4xx": c4, "5xx": c5 },
      topCountries: top(countries.get(t.target) ?? new Map(), 10).map(([country, sessions]) => ({
        country,
        sessions,
      })),
      topUserAgents: top(uaRequests.get(t.target) ?? new Map(), 10).map(([ua, requests]) => {
        const p = parseUserAgent(utf8Text(ua));
        return { userAgent: utf8Text(ua), requests, family: p.family, bot: p.isBot };
      }),
    });
  }
  return {
    format: stats.format,
    lines: stats.lines,
    requests: stats.requests,
    filtered: stats.filtered,
    badLines: stats.bad.toJSON(),
    targets,
  };
}
