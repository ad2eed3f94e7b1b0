import { type AnomalyParams, type AnomalyState, createState, update } from "../anomaly/detector.ts";

/**
 * Per-target metric series for the live watcher (Grey Memory's input, with two more signals): every
 * `intervalSeconds` bucket (aligned on the epoch grid, shared by all targets), per target,
 *   success_ratio = share of 2xx/3xx among the bucket's responses (1.0 when there was no traffic),
 *   request_rate  = requests per minute,
 *   ip_rate       = distinct client IPs per minute,
 * each scored at once by its own streaming detector state (src/anomaly/detector.ts).
 *
 * Time: `push` gives the time a request counts at; `advance(watermark)` closes every bucket that ends at or
 * before the watermark, for every known target, emitting buckets without traffic as no-traffic values
 * (success 1, rates 0). With `clock: "log"` (replay) a request in a later bucket first advances the clock
 * to it (input must be in time order: the caller reorders); with `clock: "wall"` (live) the caller
 * advances from the wall clock and a request stamped in a future bucket (clock skew) counts in the current
 * one. A request for a bucket already closed counts in the current one too (counted as `late`).
 * A target's series starts at the bucket of its first request. Memory per target: three detector states
 * and the current bucket's distinct IPs.
 */

export const SIGNALS = ["success_ratio", "request_rate", "ip_rate"] as const;
export type Signal = (typeof SIGNALS)[number];

export interface BucketPoint {
  target: string;
  /** Bucket [start, end), epoch seconds. */
  start: number;
  end: number;
  requests: number;
  /** Responses other than 2xx/3xx. */
  failures: number;
  ips: number;
  values: Record<Signal, number>;
  scores: Record<Signal, number>;
}

export interface SeriesOptions {
  intervalSeconds: number;
  clock: "log" | "wall";
  params?: Partial<AnomalyParams>;
  /** Most targets followed; requests for further targets are counted in `overflow` (hostile Host headers). */
  maxTargets?: number;
}

interface TargetState {
  name: string;
  requests: number;
  ok: number;
  ips: Set<string>;
  states: Record<Signal, AnomalyState>;
}

export class SeriesOperator {
  private readonly targets = new Map<string, TargetState>();
  /** Start of the open bucket, NaN before the first request. */
  private current = Number.NaN;
  late = 0;
  early = 0;
  overflow = 0;
  buckets = 0;

  constructor(
    private readonly opts: SeriesOptions,
    private readonly emit: (point: BucketPoint) => void,
  ) {}

  get interval(): number {
    return this.opts.intervalSeconds;
  }

  /** Start of the bucket currently filling (NaN before any request). */
  get openBucket(): number {
    return this.current;
  }

  private bucketOf(t: number): number {
    return Math.floor(t / this.opts.intervalSeconds) * this.opts.intervalSeconds;
  }

  /** Opens the first bucket at time t (wall clock), before any request. */
  start(t: number): void {
    if (Number.isNaN(this.current)) this.current = this.bucketOf(t);
  }

  push(target: string, t: number, status: number, ip: string): void {
    if (!Number.isFinite(t)) return;
    const b = this.bucketOf(t);
    if (Number.isNaN(this.current)) this.current = b;
    if (b > this.current) {
      if (this.opts.clock === "log") this.advance(b);
      else this.early++;
    } else if (b < this.current) this.late++;
    let s = this.targets.get(target);
    if (s === undefined) {
      if (this.targets.size >= (this.opts.maxTargets ?? 10_000)) {
        this.overflow++;
        return;
      }
      const p = this.opts.params ?? {};
      s = {
        name: target,
        requests: 0,
        ok: 0,
        ips: new Set(),
        states: { success_ratio: createState(p), request_rate: createState(p), ip_rate: createState(p) },
      };
      this.targets.set(target, s);
    }
    s.requests++;
    if (status >= 200 && status < 400) s.ok++;
    s.ips.add(ip);
  }

  /** Closes every bucket ending at or before `watermark`. */
  advance(watermark: number): void {
    if (Number.isNaN(this.current)) return;
    const step = this.opts.intervalSeconds;
    while (this.current + step <= watermark) {
      this.closeBucket();
      this.current += step;
    }
  }

  private closeBucket(): void {
    const step = this.opts.intervalSeconds;
    const start = this.current;
    const end = start + step;
    const perMinute = 60 / step;
    for (const s of this.targets.values()) {
      const values: Record<Signal, number> = {
        success_ratio: s.requests > 0 ? s.ok / s.requests : 1,
        request_rate: s.requests * perMinute,
        ip_rate: s.ips.size * perMinute,
      };
      const scores = {} as Record<Signal, number>;
      for (const sig of SIGNALS) {
        // the per-point score, not the onset alarm: an incident stays open while its buckets are anomalous
        const st = s.states[sig];
        scores[sig] = Number.isNaN(update(st, start, values[sig])) ? 0 : st.surprise;
      }
      const point: BucketPoint = {
        target: s.name,
        start,
        end,
        requests: s.requests,
        failures: s.requests - s.ok,
        ips: s.ips.size,
        values,
        scores,
      };
      s.requests = 0;
      s.ok = 0;
      s.ips = new Set();
      this.buckets++;
      this.emit(point);
    }
  }

  get targetCount(): number {
    return this.targets.size;
  }
}
