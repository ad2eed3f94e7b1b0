import { ReorderBuffer } from "../core/reorder.ts";
import { readWebLogFacts, type WeblogOptions, type WeblogStats } from "../ingest/weblog/reader.ts";
import type { WebRequest } from "../ingest/weblog/record.ts";
import { emptyFacts, factsOf, type RequestFacts, RequestTables } from "./request-facts.ts";
import { Sessionizer, type SessionizerOptions, type WebSession } from "./sessionizer.ts";

export interface WebRunOptions extends SessionizerOptions {
  weblog: WeblogOptions;
  /** Only requests for this site (host T or www.T; logs without hosts count as T). */
  target?: string;
  /** Epoch seconds, inclusive start and exclusive end. */
  from?: number;
  to?: number;
  /**
   * Seconds a line may arrive after newer ones and still be put in its place (log writers are a little
   * out of order; merged logs more). 0 trusts the input order and skips the reorder buffer.
   */
  lateness?: number;
}

/** Per-target traffic summary gathered on the way. */
export interface TargetTraffic {
  target: string;
  requests: number;
  first: number;
  last: number;
  /** Distinct client IPs. */
  ips: number;
  /** Requests per status class: 1xx..5xx. */
  statusClasses: number[];
  sessions: number;
}

export interface WebRunStats extends WeblogStats {
  targets: Map<string, TargetTraffic>;
  /** Requests left out by --target / --from / --to. */
  filtered: number;
  /** Requests that came later than the lateness allows: handled out of order. */
  tooLate: number;
}

/** Default lateness: access logs are written at response end, so lines lag by up to a request's duration. */
export const DEFAULT_LATENESS = 60;

export function targetMatcher(target: string): (host: string | null) => boolean {
  const t = target.toLowerCase();
  const www = `www.${t}`;
  return (host) =>
    host === null || host === t || host === www || host.startsWith(`${t}:`) || host.startsWith(`${www}:`);
}

/**
 * Web logs to sessions, one sessionizer per target (the site a request was for), streaming: sessions
 * are emitted as they close, with watermarks advanced from log time after every batch of lines.
 */
/** Where requests come from: anything that calls onRequest for each and afterBatch between batches. */
export type RequestSource = (
  onRequest: (r: WebRequest) => void,
  afterBatch: () => Promise<void>,
) => Promise<WeblogStats>;

export async function runWebSessions(
  input: string[] | RequestSource,
  opts: WebRunOptions,
  onSession: (target: string, session: WebSession) => void,
  afterBatch?: () => Promise<void> | void,
): Promise<WebRunStats> {
  const tables = new RequestTables(opts.compat);
  const sessionizers = new Map<string, Sessionizer>();
  const targets = new Map<string, TargetTraffic>();
  const matches = opts.target ? targetMatcher(opts.target) : undefined;
  const from = opts.from ?? Number.NEGATIVE_INFINITY;
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  let filtered = 0;

  /** Per host id (+1, 0 = no host): whether --target keeps it, and its sessionizer and traffic. */
  const kept: boolean[] = [];
  const routes: Route[] = [];
  const routeFor = (host: number): Route => {
    const name = opts.target ?? tables.hostName(host) ?? "unknown";
    let s = sessionizers.get(name);
    let t = targets.get(name);
    if (s === undefined || t === undefined) {
      const traffic: TargetTraffic = {
        target: name,
        requests: 0,
        first: Number.POSITIVE_INFINITY,
        last: Number.NEGATIVE_INFINITY,
        ips: 0,
        statusClasses: [0, 0, 0, 0, 0],
        sessions: 0,
      };
      s = new Sessionizer(
        opts,
        (session) => {
          traffic.sessions++;
          onSession(name, session);
        },
        tables,
      );
      t = traffic;
      sessionizers.set(name, s);
      targets.set(name, t);
    }
    const r = { sessionizer: s, traffic: t };
    routes[host + 1] = r;
    return r;
  };

  // records go back to the pool once routed: the sessionizer keeps numbers, not the record
  const pool: RequestFacts[] = [];
  let spare = emptyFacts();
  const route = (f: RequestFacts) => {
    const { sessionizer, traffic } = routes[f.host + 1] ?? routeFor(f.host);
    traffic.requests++;
    if (f.time < traffic.first) traffic.first = f.time;
    if (f.time > traffic.last) traffic.last = f.time;
    traffic.statusClasses[Math.min(4, Math.max(0, Math.floor(f.status / 100) - 1))]++;
    sessionizer.pushFacts(f);
    pool.push(f);
  };
  const lateness = opts.lateness ?? DEFAULT_LATENESS;
  const reorder = lateness > 0 ? new ReorderBuffer<RequestFacts>(lateness, route) : undefined;
  let newest = Number.NEGATIVE_INFINITY;

  const onFacts = (f: RequestFacts) => {
    spare = pool.pop() ?? emptyFacts();
    if (matches) {
      let keep = kept[f.host + 1];
      if (keep === undefined) {
        keep = matches(tables.hostName(f.host));
        kept[f.host + 1] = keep;
      }
      if (!keep) {
        filtered++;
        pool.push(f);
        return;
      }
    }
    if (f.time < from || f.time >= to) {
      filtered++;
      pool.push(f);
      return;
    }
    if (reorder) reorder.push(f);
    else {
      if (f.time > newest) newest = f.time;
      route(f);
    }
  };

  const between = async () => {
    const watermark = reorder ? reorder.watermark : newest;
    for (const s of sessionizers.values()) s.advance(watermark);
    if (afterBatch) await afterBatch();
  };
  const stats = Array.isArray(input)
    ? await readWebLogFacts(input, opts.weblog, tables, () => spare, onFacts, between)
    : await input((r) => onFacts(factsOf(r, tables, spare)), between);
  reorder?.flush();
  for (const [name, s] of sessionizers) {
    s.flush();
    targets.get(name)!.ips = s.distinctIps;
  }
  if (afterBatch) await afterBatch();
  return { ...stats, targets, filtered, tooLate: reorder?.tooLate ?? 0 };
}

interface Route {
  sessionizer: Sessionizer;
  traffic: TargetTraffic;
}
