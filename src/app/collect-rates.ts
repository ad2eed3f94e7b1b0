/**
 * Live traffic-volume anomalies of a collector: flows and bytes per minute of the collector's clock,
 * each scored by the streaming anomaly detector as the minute closes (empty minutes count as 0, so an
 * exporter going silent shows). Minutes scoring at or above the threshold are kept as events.
 */
import { type AnomalyState, createState, update } from "../anomaly/detector.ts";

export interface RateAnomaly {
  /** Minute start, epoch seconds. */
  minute: number;
  metric: "flows" | "bytes";
  value: number;
  score: number;
}

const MAX_EVENTS = 1000;

export class MinuteRates {
  readonly events: RateAnomaly[] = [];
  minutes = 0;
  private readonly flowsState: AnomalyState = createState();
  private readonly bytesState: AnomalyState = createState();
  private minute = Number.NaN;
  private flows = 0;
  private bytes = 0;

  constructor(private readonly threshold = 0.95) {}

  /** A flow arrived at clock time `now` (epoch seconds). */
  add(now: number, bytes: number): void {
    this.tick(now);
    this.flows++;
    this.bytes += bytes;
  }

  /** Moves the clock: scores every minute that ended before `now`. */
  tick(now: number): void {
    const m = Math.floor(now / 60) * 60;
    if (Number.isNaN(this.minute)) this.minute = m;
    while (this.minute < m) {
      this.close();
      this.minute += 60;
      // a long silence: jump ahead after an hour of empty minutes
      if (m - this.minute > 3600) this.minute = m - 3600;
    }
  }

  private close(): void {
    this.minutes++;
    const t = this.minute + 60;
    this.score("flows", this.flowsState, t, this.flows);
    this.score("bytes", this.bytesState, t, this.bytes);
    this.flows = 0;
    this.bytes = 0;
  }

  private score(metric: RateAnomaly["metric"], s: AnomalyState, t: number, value: number): void {
    const score = update(s, t, value);
    if (score >= this.threshold && this.events.length < MAX_EVENTS)
      this.events.push({ minute: t - 60, metric, value, score: Math.round(score * 1000) / 1000 });
  }
}
