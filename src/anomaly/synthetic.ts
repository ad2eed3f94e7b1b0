import { Rng } from "../core/random.ts";

/**
 * Seeded synthetic labelled series for detector tests and benchmarks: 2-minute samples of a web target
 * (success ratio or request rate) with diurnal and weekly traffic, binomial/Poisson noise, an AR(1)
 * wobble, random missing samples and a 3-hour gap, and injected anomalies after a 3-day warm-up.
 */
export type AnomalyKind =
  | "clean"
  | "spike"
  | "level-shift"
  | "variance"
  | "ddos"
  | "drift"
  | "rate-spike"
  | "rate-shift";

export const ANOMALY_KINDS: AnomalyKind[] = [
  "clean",
  "spike",
  "level-shift",
  "variance",
  "ddos",
  "drift",
  "rate-spike",
  "rate-shift",
];

export interface SyntheticSeries {
  kind: AnomalyKind;
  times: Float64Array;
  values: Float64Array;
  /** Indices (into times/values) where labelled anomalies start. Drift and clean have none. */
  onsets: number[];
  /** Index ranges where an injected effect is active (for drift: its whole ramp), inclusive. */
  effects: { start: number; end: number }[];
}

const STEP = 120;
const START = Date.UTC(2024, 0, 1) / 1000; // a Monday

export function synthetic(kind: AnomalyKind, seed: number, days = 10): SyntheticSeries {
  const rng = new Rng(`anomaly-${kind}-${seed}`);
  const n = Math.round((days * 86400) / STEP);
  const rate = kind.startsWith("rate");
  const phase = rng.uniform(0, 24);
  const base = rng.uniform(200, 1500);
  const okShare = rng.uniform(0.93, 0.99);
  // effects in step units, after 3 days
  const t0 = Math.floor(n * 0.35) + rng.int(Math.floor(n * 0.3));
  const effectSteps: { start: number; end: number }[] = [];
  if (kind === "spike") {
    effectSteps.push({ start: t0, end: t0 + rng.int(2) });
    const t1 = t0 + 300 + rng.int(600);
    effectSteps.push({ start: t1, end: t1 });
  } else if (kind === "level-shift" || kind === "rate-shift") effectSteps.push({ start: t0, end: n - 1 });
  else if (kind === "variance") effectSteps.push({ start: t0, end: t0 + 180 });
  else if (kind === "ddos") effectSteps.push({ start: t0, end: t0 + 15 + rng.int(30) });
  else if (kind === "drift") effectSteps.push({ start: t0, end: Math.min(n - 1, t0 + 2160) });
  else if (kind === "rate-spike") effectSteps.push({ start: t0, end: t0 + 10 + rng.int(15) });
  const gapStart = Math.floor(n * 0.2) + rng.int(Math.floor(n * 0.1));
  const gapEnd = gapStart + 90;
  const shiftSign = rng.chance(0.5) ? 1 : -1;

  const times: number[] = [];
  const values: number[] = [];
  const onsets: number[] = [];
  const effects: { start: number; end: number }[] = [];
  let ar = 0;
  const open = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    ar = 0.7 * ar + rng.normal(0, 1);
    const t = START + k * STEP;
    const hour = ((k * STEP) / 3600) % 24;
    const day = Math.floor((k * STEP) / 86400) % 7;
    const diurnal = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - phase)) / 24);
    const weekly = day >= 5 ? 0.7 : 1;
    let volume = base * (0.25 + 0.75 * diurnal) * weekly * (1 + 0.03 * ar);
    let p = okShare + 0.01 * diurnal;
    let noiseMul = 1;
    for (const e of effectSteps) {
      if (k < e.start || k > e.end) continue;
      if (kind === "spike") p -= 0.12;
      if (kind === "level-shift") p += shiftSign * 0.025;
      if (kind === "variance") noiseMul = 4;
      if (kind === "ddos") {
        p = Math.min(p, 0.5 + 0.1 * rng.next());
        volume *= 3;
      }
      if (kind === "drift") p -= (0.05 * (k - e.start)) / (e.end - e.start);
      if (kind === "rate-spike") volume *= 2.5;
      if (kind === "rate-shift") volume *= shiftSign > 0 ? 1.6 : 0.6;
    }
    if (kind === "drift" && effectSteps[0] && k > effectSteps[0].end) p -= 0.05;
    const missing = (k >= gapStart && k < gapEnd) || rng.chance(0.03);
    if (missing) continue;
    for (const [i, e] of effectSteps.entries()) {
      if (k >= e.start && k <= e.end && !open.has(i)) {
        open.set(i, values.length);
        if (kind !== "drift") onsets.push(values.length);
      }
      if (k >= e.end && open.has(i) && effects.length === i)
        effects.push({ start: open.get(i)!, end: values.length });
    }
    let value: number;
    if (rate) {
      value = Math.max(0, Math.round(volume + rng.normal(0, Math.sqrt(volume)) * noiseMul));
    } else {
      const sd = Math.sqrt((p * (1 - p)) / Math.max(1, volume)) + 0.002 * ar * 0.3;
      value = Math.min(1, Math.max(0, p + rng.normal(0, Math.abs(sd)) * noiseMul));
    }
    times.push(t);
    values.push(value);
  }
  return { kind, times: Float64Array.from(times), values: Float64Array.from(values), onsets, effects };
}
