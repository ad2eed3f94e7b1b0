import type { AnomalyParams } from "../anomaly/detector.ts";
import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import { ReorderBuffer } from "../core/reorder.ts";
import { detach } from "../core/strings.ts";
import type { GeoLookup } from "../geo/geo.ts";
import { type BadLineReport, BadLines } from "../ingest/bad-lines.ts";
import { OVERSIZED_LINE, readLineBatches } from "../ingest/source.ts";
import type { LineParser, ParseResult } from "../ingest/weblog/log-format.ts";
import { chosenParser, detectFormat, readWebLog, type WeblogOptions } from "../ingest/weblog/reader.ts";
import type { WebRequest } from "../ingest/weblog/record.ts";
import { insertAnomalyEvent, setIncidentRange } from "../store/anomaly-events.ts";
import { insertAnomalyPoints, type NewAnomalyPoint } from "../store/anomaly-points.ts";
import { createIncident } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import { FileFollower, type FollowBatch, type FollowStats } from "../watch/follow.ts";
import {
  type AnomalyMessage,
  type AnomalyStop,
  type AnomalyTransition,
  anomalyMessage,
  IncidentOperator,
} from "../watch/incidents.ts";
import { type BucketPoint, SeriesOperator, SIGNALS, type Signal } from "../watch/series.ts";
import { type RequestSource, targetMatcher } from "../web/pipeline.ts";
import type { SessionizerOptions } from "../web/sessionizer.ts";
import { type ChainResult, runAutoChain } from "./chain.ts";
import { currentKey } from "./keys.ts";
import { analyzeWeb } from "./web.ts";

/**
 * The live watcher (Grey Memory's successor): web log lines -> per-target series every interval
 * (src/watch/series.ts) -> anomaly scores -> events and incidents (src/watch/incidents.ts) -> when an
 * incident closes, its sessions are stored (analyzeWeb into that incident, its range kept) and the chain
 * (clustering, attacks, botnet decisions) runs on it.
 *
 * Two clocks:
 * - replay: the input is read once, lines are put in time order (`lateness`, default 60 s) and log time
 *   drives everything; the same input gives the same events. At the end of the input open incidents
 *   close (reason end_of_input) and the last, partial bucket is not scored.
 * - live: the file is followed like `tail -F` (src/watch/follow.ts; `-` reads stdin as it comes) and
 *   buckets close on the wall clock, `lateness` seconds (default min(10, interval / 4)) after they end;
 *   requests count in the bucket of their log time, or the open bucket when that one is already closed
 *   (late) or not yet open (clock skew).
 *
 * Requests kept for the incidents: per target, a buffer of the recent requests, pruned to the open
 * incident's start, or to the last two intervals plus the lateness when no incident is open, so it covers
 * exactly the incident span plus the hold time. It is capped at `maxBufferedRequests` per target (default
 * 1,000,000, a few hundred MB at worst): when an incident outgrows it the oldest requests are dropped and
 * the incident reports `droppedRequests` (its first sessions are then missing). The sessions of an
 * incident are the requests of its target in [start, stop) by log time.
 */

export interface WatchOptions extends SessionizerOptions {
  /** A file, or "-" for stdin. */
  input: string;
  replay: boolean;
  weblog: WeblogOptions;
  /** Only this site (host or www.host; all requests when the log has no host). */
  target?: string;
  /** Only requests in [from, to) (epoch seconds, log time). */
  from?: number;
  to?: number;
  threshold: number;
  holdMinutes: number;
  intervalSeconds: number;
  lateness?: number;
  /** Live polling interval, default 500 ms. */
  pollMs?: number;
  /** Live: read what the file already holds first (default: only new lines, as tail -F -n 0). */
  fromStart?: boolean;
  /** Run the chain on each closed incident (default true). */
  chain?: boolean;
  /** Store every scored bucket (anomaly_points, the dashboard's timeline; default true). */
  storeSeries?: boolean;
  minFailures?: number;
  /** Hours a target is only learned before it can open incidents (default 24: one daily cycle). */
  learnHours?: number;
  maxBufferedRequests?: number;
  detector?: Partial<AnomalyParams>;
  geo?: GeoLookup;
  signal?: AbortSignal;
  /** Each event message, in order (JSON lines writer). */
  onEvent?: (m: AnomalyMessage) => void;
  /** An error while storing or analysing an incident (live mode goes on). */
  onError?: (e: unknown) => void;
  /** Every request accepted, in processing order (tests). */
  tap?: (r: WebRequest) => void;
  /** Wall clock in epoch seconds (tests). */
  now?: () => number;
}

export interface WatchIncident {
  id: number;
  target: string;
  start: number;
  stop: number;
  signal: Signal;
  maxScore: number;
  reason: AnomalyStop["reason"];
  requests: number;
  sessions: number;
  droppedRequests: number;
  chain?: ChainResult;
  error?: string;
}

export interface WatchSummary {
  mode: "replay" | "live";
  format: string;
  lines: number;
  requests: number;
  /** Events emitted (the summary keeps the last 1000 events and incidents). */
  eventCount: number;
  /** Requests for other sites than --target, or outside --from/--to. */
  filtered: number;
  badLines: BadLineReport;
  targets: number;
  buckets: number;
  /** Requests counted in a later bucket than their time (late lines, or behind the wall clock). */
  late: number;
  events: AnomalyMessage[];
  incidents: WatchIncident[];
  follow?: FollowStats;
  errors: string[];
}

/** Targets are hosts lowercased, without port and without a leading "www.". */
export function normalizeTarget(host: string): string {
  let h = host.toLowerCase();
  const colon = h.lastIndexOf(":");
  if (colon > 0 && h.indexOf(":") === colon) h = h.slice(0, colon);
  if (h.startsWith("www.")) h = h.slice(4);
  return h;
}

class Stopped extends Error {}

/** Events and incidents kept for the summary (a long-running watcher must not grow). */
const MAX_KEPT = 1000;

interface Buffered {
  items: WebRequest[];
  head: number;
  dropped: number;
}

export async function runWatch(store: Store, config: Config, opts: WatchOptions): Promise<WatchSummary> {
  const { key } = await currentKey(store, config); // fails early without a usable passphrase
  const interval = opts.intervalSeconds;
  const holdSeconds = opts.holdMinutes * 60;
  const live = !opts.replay;
  const lateness = opts.lateness ?? (live ? Math.min(10, interval / 4) : 60);
  const now = opts.now ?? (() => Date.now() / 1000);
  const maxBuffered = opts.maxBufferedRequests ?? 1_000_000;
  const matches = opts.target ? targetMatcher(opts.target.toLowerCase()) : undefined;
  const targetName = opts.target ? normalizeTarget(opts.target) : undefined;

  const events: AnomalyMessage[] = [];
  const incidents: WatchIncident[] = [];
  const errors: string[] = [];
  const buffers = new Map<string, Buffered>();
  const incidentIds = new Map<string, number>();
  let filtered = 0;

  let tasks: Promise<void> = Promise.resolve();
  const enqueue = (fn: () => Promise<void>) => {
    tasks = tasks.then(fn).catch((e: unknown) => {
      errors.push((e as Error)?.message ?? String(e));
      opts.onError?.(e);
    });
  };
  let eventCount = 0;
  const emit = (m: AnomalyMessage) => {
    eventCount++;
    events.push(m);
    if (events.length > MAX_KEPT) events.shift();
    opts.onEvent?.(m);
  };

  const onTransition = (t: AnomalyTransition) => {
    if (t.kind === "started") {
      enqueue(async () => {
        const inc = await createIncident(store, {
          target: t.target,
          start: t.start,
          stop: null,
          status: "open",
          origin: "anomaly",
          source: opts.input === "-" ? "stdin" : opts.input,
          comment: `anomaly watcher: ${t.signal} score ${t.score.toFixed(3)}`,
          key_id: key.id,
        });
        incidentIds.set(t.target, inc.id);
        await insertAnomalyEvent(store, {
          target: t.target,
          kind: "started",
          channel: "HTTP_response",
          signal: t.signal,
          score: t.score,
          at: t.start,
          incidentId: inc.id,
        });
        emit(anomalyMessage(t, inc.id));
      });
      return;
    }
    // snapshot the incident's requests now, while the buffer still holds them
    const buf = buffers.get(t.target);
    const requests: WebRequest[] = [];
    if (buf)
      for (let i = buf.head; i < buf.items.length; i++) {
        const r = buf.items[i];
        if (r.time >= t.start && r.time < t.stop) requests.push(r);
      }
    const dropped = buf?.dropped ?? 0;
    if (buf) buf.dropped = 0;
    requests.sort((a, b) => a.time - b.time);
    enqueue(async () => {
      const id = incidentIds.get(t.target);
      incidentIds.delete(t.target);
      if (id === undefined) return; // its start failed (reported)
      await setIncidentRange(store, id, { start: t.start, stop: t.stop, status: "closed" });
      await insertAnomalyEvent(store, {
        target: t.target,
        kind: "stopped",
        channel: "HTTP_response",
        signal: t.signal,
        score: t.score,
        at: t.stop,
        incidentId: id,
      });
      emit(anomalyMessage(t, id));
      const result: WatchIncident = {
        id,
        target: t.target,
        start: t.start,
        stop: t.stop,
        signal: t.signal,
        maxScore: t.maxScore,
        reason: t.reason,
        requests: requests.length,
        sessions: 0,
        droppedRequests: dropped,
      };
      incidents.push(result);
      if (incidents.length > MAX_KEPT) incidents.shift();
      try {
        const source: RequestSource = async (onRequest, afterBatch) => {
          for (let i = 0; i < requests.length; i++) {
            onRequest(requests[i]);
            if ((i & 16383) === 16383) await afterBatch();
          }
          await afterBatch();
          return { format: "watch", lines: requests.length, requests: requests.length, bad: new BadLines() };
        };
        const summary = await analyzeWeb(store, config, {
          files: source,
          weblog: {},
          incidentId: id,
          keepRange: true,
          target: t.target,
          lateness: 0,
          gapSeconds: opts.gapSeconds,
          key: opts.key,
          compat: opts.compat,
          geo: opts.geo,
          source: opts.input === "-" ? "stdin" : opts.input,
        });
        result.sessions = summary.targets.reduce((s, x) => s + x.sessions, 0);
        // analyzeWeb closes the incident; make sure the watcher's range stays
        await setIncidentRange(store, id, { start: t.start, stop: t.stop, status: "closed" });
        if (opts.chain !== false && result.sessions > 0)
          result.chain = (await runAutoChain(store, config, [id]))[0];
      } catch (e) {
        result.error = (e as Error)?.message ?? String(e);
        throw e;
      }
    });
  };

  const incidentOp = new IncidentOperator(
    {
      threshold: opts.threshold,
      holdSeconds,
      minFailures: opts.minFailures,
      learnSeconds: (opts.learnHours ?? 24) * 3600,
    },
    onTransition,
  );
  // scored buckets go to the store in batches, through the same queue as the incidents
  let points: NewAnomalyPoint[] = [];
  const flushPoints = () => {
    if (points.length === 0) return;
    const batch = points;
    points = [];
    enqueue(() => insertAnomalyPoints(store, batch));
  };
  const keepPoint = (p: BucketPoint) => {
    for (const signal of SIGNALS)
      points.push({
        target: p.target,
        signal,
        at: p.start,
        value: p.values[signal],
        score: p.scores[signal],
        threshold: opts.threshold,
        intervalSeconds: interval,
      });
    if (points.length >= 3000 || live) flushPoints();
  };
  const storeSeries = opts.storeSeries !== false;
  const series = new SeriesOperator(
    { intervalSeconds: interval, clock: live ? "wall" : "log", params: opts.detector },
    (p) => {
      if (storeSeries) keepPoint(p);
      incidentOp.observe(p);
    },
  );

  const from = opts.from ?? Number.NEGATIVE_INFINITY;
  const to = opts.to ?? Number.POSITIVE_INFINITY;
  const route = (r: WebRequest) => {
    if (r.time < from || r.time >= to) {
      filtered++;
      return;
    }
    let target: string;
    if (matches) {
      if (!matches(r.host)) {
        filtered++;
        return;
      }
      target = targetName!;
    } else target = r.host === null ? "unknown" : normalizeTarget(r.host);
    let buf = buffers.get(target);
    if (buf === undefined) {
      target = detach(target);
      buf = { items: [], head: 0, dropped: 0 };
      buffers.set(target, buf);
    }
    buf.items.push(r);
    if (buf.items.length - buf.head > maxBuffered) {
      buf.head++;
      buf.dropped++;
    }
    opts.tap?.(r);
    series.push(target, r.time, r.status, r.ip);
  };

  /** Drops buffered requests no incident can need any more. */
  const prune = (clock: number) => {
    for (const [target, buf] of buffers) {
      const cutoff = incidentOp.openStart(target) ?? clock - 2 * interval - lateness;
      let h = buf.head;
      const items = buf.items;
      while (h < items.length && items[h].time < cutoff) h++;
      if (h > 4096 && h * 2 > items.length) {
        buf.items = items.slice(h);
        h = 0;
      }
      buf.head = h;
      if (!incidentOp.isOpen(target)) buf.dropped = 0;
    }
  };

  const bad = new BadLines();
  let lines = 0;
  let requests = 0;
  let format = "none";
  let follow: FollowStats | undefined;
  let badReport: BadLineReport | undefined;
  let stopReason: "end_of_input" | "shutdown" = "end_of_input";

  if (!live) {
    let newest = Number.NEGATIVE_INFINITY;
    const reorder = new ReorderBuffer<WebRequest>(lateness, route);
    try {
      const stats = await readWebLog(
        [opts.input],
        { ...opts.weblog, reuseRecord: false },
        (r) => {
          if (r.time > newest) newest = r.time;
          reorder.push(r);
        },
        async () => {
          prune(reorder.watermark);
          await tasks;
          if (opts.signal?.aborted) throw new Stopped();
        },
      );
      lines = stats.lines;
      requests = stats.requests;
      format = stats.format;
      badReport = stats.bad.toJSON();
      reorder.flush();
    } catch (e) {
      if (!(e instanceof Stopped)) throw e;
      stopReason = "shutdown";
    }
  } else {
    let parser = chosenParser(opts.weblog);
    let pending: FollowBatch[] = [];
    let pendingLines = 0;
    const parseBatch = (b: FollowBatch) => {
      const p = parser!;
      for (let i = 0; i < b.lines.length; i++) {
        const line = b.lines[i];
        lines++;
        const r: ParseResult = line === OVERSIZED_LINE ? "oversized" : p.parse(line);
        if (typeof r === "string") {
          bad.add(r, b.file, b.firstLine + i, line === OVERSIZED_LINE ? "(line over the size limit)" : line);
          continue;
        }
        requests++;
        route(r);
      }
    };
    const handle = (b: FollowBatch) => {
      if (parser === undefined) {
        // auto: detect on the first lines; with too few readable lines yet, wait for more (up to 200)
        pending.push(b);
        pendingLines += b.lines.length;
        try {
          parser = detectFormat(
            pending.flatMap((x) => x.lines),
            opts.weblog,
          );
        } catch (e) {
          if (pendingLines < 200) return;
          throw e;
        }
        const held = pending;
        pending = [];
        for (const x of held) parseBatch(x);
        return;
      }
      parseBatch(b);
    };
    const tick = () => {
      const clock = now();
      series.advance(clock - lateness);
      prune(clock - lateness);
    };
    series.start(now());
    const follower =
      opts.input === "-"
        ? undefined
        : new FileFollower(opts.input, {
            pollMs: opts.pollMs ?? 500,
            fromStart: opts.fromStart,
            maxLineBytes: opts.weblog.maxLineBytes,
            signal: opts.signal,
            onIdle: tick,
          });
    const timer = setInterval(tick, opts.pollMs ?? 500);
    const onAbort = () => {
      if (opts.input === "-") process.stdin.destroy();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const source: AsyncIterable<FollowBatch> = follower
        ? follower.batches()
        : readLineBatches("-", { maxLineBytes: opts.weblog.maxLineBytes });
      for await (const b of source) {
        handle(b);
        tick();
        if (opts.signal?.aborted && !follower) break;
      }
    } catch (e) {
      if (!opts.signal?.aborted) throw e;
    } finally {
      clearInterval(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
    if (parser === undefined && pending.length > 0) {
      // never recognised: count what was held as bad lines
      for (const b of pending)
        for (let i = 0; i < b.lines.length; i++) {
          lines++;
          bad.add("wrong-format", b.file, b.firstLine + i, b.lines[i]);
        }
    }
    format = (parser as LineParser | undefined)?.name ?? "none";
    follow = follower?.stats;
    stopReason = opts.signal?.aborted ? "shutdown" : "end_of_input";
  }
  incidentOp.closeAll(stopReason);
  flushPoints();
  await tasks;
  if (!live && errors.length > 0) throw new UserError(`watch: ${errors[0]}`);
  return {
    mode: live ? "live" : "replay",
    format,
    lines,
    requests,
    filtered,
    badLines: badReport ?? bad.toJSON(),
    targets: series.targetCount,
    buckets: series.buckets,
    late: series.late + series.early,
    eventCount,
    events,
    incidents,
    follow,
    errors,
  };
}
