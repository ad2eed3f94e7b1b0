import { ReorderBuffer } from "../core/reorder.ts";
import { detach } from "../core/strings.ts";
import { readWebLog, type WeblogOptions, type WeblogStats } from "../ingest/weblog/reader.ts";
import type { WebRequest } from "../ingest/weblog/record.ts";
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
  const sessionizers = new Map<string, Sessionizer>();
  const targets = new Map<string, TargetTraffic>();
  const matches = opts.target ? targetMatcher(opts.target) : undefined;
  const from = opts.from ?? Number.NEGATIVE_INFINITY;
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  let filtered = 0;

  const stateFor = (name: string): [Sessionizer, TargetTraffic] => {
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
      s = new Sessionizer(opts, (session) => {
        traffic.sessions++;
        onSession(name, session);
      });
      t = traffic;
      sessionizers.set(name, s);
      targets.set(name, t);
    }
    return [s, t];
  };
  let lastName = "";
  let last: [Sessionizer, TargetTraffic] | undefined;

  const route = (r: WebRequest) => {
    const name = opts.target ?? r.host ?? "unknown";
    if (last === undefined || name !== lastName) {
      last = stateFor(detach(name));
      lastName = name;
    }
    const [sessionizer, traffic] = last;
    traffic.requests++;
    if (r.time < traffic.first) traffic.first = r.time;
    if (r.time > traffic.last) traffic.last = r.time;
    traffic.statusClasses[Math.min(4, Math.max(0, Math.floor(r.status / 100) - 1))]++;
    sessionizer.push(r);
  };
  const lateness = opts.lateness ?? DEFAULT_LATENESS;
  const reorder = lateness > 0 ? new ReorderBuffer<WebRequest>(lateness, route) : undefined;
  let newest = Number.NEGATIVE_INFINITY;

  const onRequest = (r: WebRequest) => {
    if (r.time < from || r.time >= to || (matches && !matches(r.host))) {
      filtered++;
      return;
    }
    if (reorder) reorder.push(r);
    else {
      if (r.time > newest) newest = r.time;
      route(r);
    }
  };

  const between = async () => {
    const watermark = reorder ? reorder.watermark : newest;
    for (const s of sessionizers.values()) s.advance(watermark);
    if (afterBatch) await afterBatch();
  };
  // records are reused only when nothing holds on to them (no reorder buffer)
  const stats = Array.isArray(input)
    ? await readWebLog(input, { ...opts.weblog, reuseRecord: !reorder }, onRequest, between)
    : await input((r) => onRequest(reorder ? { ...r } : r), between);
  reorder?.flush();
  for (const [name, s] of sessionizers) {
    s.flush();
    targets.get(name)!.ips = s.distinctIps;
  }
  if (afterBatch) await afterBatch();
  return { ...stats, targets, filtered, tooLate: reorder?.tooLate ?? 0 };
}
