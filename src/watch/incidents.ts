import { type BucketPoint, SIGNALS, type Signal } from "./series.ts";

/**
 * Scores to anomaly events and incidents, per target (Grey Memory's trigger, with a hold time):
 * - a bucket whose score on any signal is above `threshold` (success ratio: only with `minFailures`
 *   failed responses in the bucket) opens an incident when none is open:
 *   event `anomaly_started`, incident start = that bucket's start, `signal` = the highest-scoring signal;
 * - later anomalous buckets extend it (no event); the incident closes at the end of the first
 *   non-anomalous bucket that ends `holdSeconds` or more after the end of the last anomalous bucket:
 *   event `anomaly_stopped`, incident stop = last anomalous bucket end + hold (the original kept an
 *   incident open "now + 60 min" after the last alarm, which is the same rule), so the stored incident
 *   covers the attack plus an hour of the traffic after it (the baseline the clustering compares with).
 * - `closeAll` ends what is still open (end of a replay, shutdown): stop = min(last anomaly + hold,
 *   end of the last bucket seen).
 * Pure and synchronous: the caller stores events, opens and fills incidents.
 */

export type StopReason = "hold_expired" | "end_of_input" | "shutdown";

export interface AnomalyStart {
  kind: "started";
  target: string;
  signal: Signal;
  score: number;
  /** Incident start = start of the first anomalous bucket. */
  start: number;
  /** Scores of every signal in that bucket. */
  scores: Record<Signal, number>;
  values: Record<Signal, number>;
}

export interface AnomalyStop {
  kind: "stopped";
  target: string;
  /** Signal that scored highest over the incident. */
  signal: Signal;
  /** Score of the bucket that closed it (the anomaly has fallen back). */
  score: number;
  maxScore: number;
  start: number;
  stop: number;
  /** Anomalous buckets during the incident. */
  anomalousBuckets: number;
  reason: StopReason;
}

export type AnomalyTransition = AnomalyStart | AnomalyStop;

export interface IncidentRuleOptions {
  threshold: number;
  holdSeconds: number;
  /**
   * A success-ratio score counts only when the bucket has at least this many failed responses (default
   * 10): at night a site with five requests and one error has a ratio of 0.8, which is no attack.
   */
  minFailures?: number;
  /**
   * Learning time per target from its first bucket (default 0): scores are computed but open nothing,
   * so the detector sees a whole daily cycle first (Grey Memory replayed the last 24 h on start for the
   * same reason). The watcher uses 24 h.
   */
  learnSeconds?: number;
}

interface OpenIncident {
  start: number;
  lastAnomalousEnd: number;
  lastEnd: number;
  maxScore: number;
  maxSignal: Signal;
  anomalousBuckets: number;
}

export class IncidentOperator {
  private readonly open = new Map<string, OpenIncident>();
  private readonly firstSeen = new Map<string, number>();

  constructor(
    private readonly opts: IncidentRuleOptions,
    private readonly emit: (t: AnomalyTransition) => void,
  ) {}

  isOpen(target: string): boolean {
    return this.open.has(target);
  }

  /** Start of the target's open incident, or undefined. */
  openStart(target: string): number | undefined {
    return this.open.get(target)?.start;
  }

  observe(p: BucketPoint): void {
    let signal: Signal = SIGNALS[0];
    let score = -1;
    const minFailures = this.opts.minFailures ?? 10;
    for (const s of SIGNALS) {
      if (s === "success_ratio" && p.failures < minFailures) continue;
      if (p.scores[s] > score) {
        score = p.scores[s];
        signal = s;
      }
    }
    let first = this.firstSeen.get(p.target);
    if (first === undefined) {
      first = p.start;
      this.firstSeen.set(p.target, first);
    }
    const anomalous = score > this.opts.threshold && p.start >= first + (this.opts.learnSeconds ?? 0);
    const inc = this.open.get(p.target);
    if (inc === undefined) {
      if (!anomalous) return;
      this.open.set(p.target, {
        start: p.start,
        lastAnomalousEnd: p.end,
        lastEnd: p.end,
        maxScore: score,
        maxSignal: signal,
        anomalousBuckets: 1,
      });
      this.emit({
        kind: "started",
        target: p.target,
        signal,
        score,
        start: p.start,
        scores: { ...p.scores },
        values: { ...p.values },
      });
      return;
    }
    inc.lastEnd = p.end;
    if (anomalous) {
      inc.lastAnomalousEnd = p.end;
      inc.anomalousBuckets++;
      if (score > inc.maxScore) {
        inc.maxScore = score;
        inc.maxSignal = signal;
      }
      return;
    }
    if (p.end >= inc.lastAnomalousEnd + this.opts.holdSeconds) {
      this.open.delete(p.target);
      this.emit(
        this.stopOf(p.target, inc, score, inc.lastAnomalousEnd + this.opts.holdSeconds, "hold_expired"),
      );
    }
  }

  /** Closes every open incident (end of input or shutdown). */
  closeAll(reason: StopReason): void {
    for (const [target, inc] of [...this.open.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      this.open.delete(target);
      const stop = Math.min(inc.lastAnomalousEnd + this.opts.holdSeconds, inc.lastEnd);
      this.emit(this.stopOf(target, inc, 0, stop, reason));
    }
  }

  private stopOf(
    target: string,
    inc: OpenIncident,
    score: number,
    stop: number,
    reason: StopReason,
  ): AnomalyStop {
    return {
      kind: "stopped",
      target,
      signal: inc.maxSignal,
      score,
      maxScore: inc.maxScore,
      start: inc.start,
      stop,
      anomalousBuckets: inc.anomalousBuckets,
      reason,
    };
  }
}

/** The JSON message of an event, in Grey Memory's shape plus botscope's fields. */
export interface AnomalyMessage {
  message_type: "anomaly_started" | "anomaly_stopped";
  target_host: string;
  channel: "HTTP_response";
  anomaly_rate: number;
  time_stamp: string;
  signal: Signal;
  incident_id: number | null;
  incident_start: string;
  incident_stop?: string;
  max_anomaly_rate?: number;
  reason?: StopReason;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

/** time_stamp: the incident start for anomaly_started, its stop for anomaly_stopped. */
export function anomalyMessage(t: AnomalyTransition, incidentId: number | null): AnomalyMessage {
  const base = {
    target_host: t.target,
    channel: "HTTP_response" as const,
    anomaly_rate: Math.round(t.score * 1e6) / 1e6,
    signal: t.signal,
    incident_id: incidentId,
    incident_start: iso(t.start),
  };
  if (t.kind === "started") return { message_type: "anomaly_started", ...base, time_stamp: iso(t.start) };
  return {
    message_type: "anomaly_stopped",
    ...base,
    time_stamp: iso(t.stop),
    incident_stop: iso(t.stop),
    max_anomaly_rate: Math.round(t.maxScore * 1e6) / 1e6,
    reason: t.reason,
  };
}
