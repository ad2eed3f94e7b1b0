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
}

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
  let watermark = Number.NEGATIVE_INFINITY;

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

  const onRequest = (r: WebRequest) => {
    if (r.time < from || r.time >= to || (matches && !matches(r.host))) {
      filtered++;
      return;
    }
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
    if (r.time > watermark) watermark = r.time;
    sessionizer.push(r);
  };

  const between = async () => {
    for (const s of sessionizers.values()) s.advance(watermark);
    if (afterBatch) await afterBatch();
  };
  const stats = Array.isArray(input)
    ? await readWebLog(input, { ...opts.weblog, reuseRecord: true }, onRequest, between)
    : await input(onRequest, between);
  for (const [name, s] of sessionizers) {
    s.flush();
    targets.get(name)!.ips = s.distinctIps;
  }
  if (afterBatch) await afterBatch();
  return { ...stats, targets, filtered };
}
