/**
 * Streaming anomaly detector for one metric series (success ratio, request rate, distinct-IP rate...).
 * Online, one pass, no look-ahead, O(1) memory per series: `update(state, t, x)` returns the score of x in
 * [0, 1] at once and then learns from it. The state is plain data (numbers and typed arrays), so a watcher
 * can keep one per target and serialise it (`serializeState` / `deserializeState`).
 *
 * Method (an ensemble of two predictors and three change statistics, all on standardised errors):
 *
 * 1. Seasonal predictor, additive damped Holt-Winters with two seasonalities and irregular time:
 *      pred1(t) = level + trend * sum_{i=1..m} phi^i + daily(t) + weekly(t),   m = dt / step
 *    `daily` is a profile of `dailyBuckets` time-of-day buckets, `weekly` one of `weeklyBuckets` hour-of-week
 *    buckets, both read and updated with linear interpolation between neighbouring buckets (time is UTC; the
 *    phase is learned, so the time zone does not matter). Learning uses the error clipped at `clip` scale
 *    units (Huber-style), so spikes do not leak into the model. The seasonal rates are per bucket span, so
 *    the profiles learn at the same pace per day whatever the sampling interval. `step` (nominal interval)
 *    is the median of the first 15 gaps, then tracked slowly; gaps and missing samples only make m larger.
 * 2. Short-horizon predictor: the seasonal residual r = x - pred1 is smoothed (EWMA, `shortAlpha`), and
 *    pred2 = pred1 + shortPhi^m * smoothedResidual. It follows autocorrelated excursions and adapts to a new
 *    level within a few points, so its error e2 is the "surprise" of the newest point.
 * Each error is standardised by its own robust running scale (EW RMS of clipped errors, `scaleAlpha`):
 * z1 = r / scale1, z2 = e2 / scale2.
 *
 * Channels, each giving a tail probability q and the channel score min(1, -log10(q) / `logTail`):
 *   A. pointwise surprise: q = 2 Q(|z2|) (Gaussian two-sided tail): spikes, drops, onsets of shifts.
 *   B. anomaly likelihood of NAB/HTM (Ahmad et al. 2017): raw score min(|z2|, 6) averaged over the last
 *      `shortWindow` points, compared with the long-run distribution of that average (EW mean and variance
 *      with window `likelihoodWindow`, instead of a 8640-point buffer: constant memory):
 *      q = Q((avg - mean) / sd). Catches variance changes and bursts of moderate errors.
 *   C. level shifts: EWMA control chart of the (clipped) seasonal residual, m = EWMA_lambda(r), standardised
 *      by its own empirical standard deviation (EW, window `shiftWindow`), which makes it robust to the
 *      autocorrelation left by the seasonal model (a plain CUSUM on z1 fired on every diurnal ramp in the
 *      first days). Score from q = 2 Q(|u|); at |u| >= `shiftH` the score is 1, the shift is re-learned
 *      (level += smoothed residual) and the chart restarts, so the new normal stops alarming.
 * Error scales are max(global EW variance, per hour-of-day variance) so that noisy nights (few requests,
 * noisy success ratio) do not alarm.
 * A point's own score ("surprise") is max(A, B, C); the first `warmup` points score 0 (the model is still
 * empty). With logTail = 9 the product threshold 0.95 means a tail probability below ~3e-9 (|z| > 5.9 for a
 * single point; the likelihood channel reaches it earlier on sustained moderate errors).
 * Alarm gate: `update` returns the surprise only where it exceeds every recent surprise, each decayed by
 * `alarmDecay` per nominal step since (0 otherwise; compared before the cap at 1, up to GATE_CAP, so a
 * smaller spike soon after a large one stays quiet), so a threshold gives one alarm at the onset of an
 * episode (a burst, an outage, a run of spikes) and another only when it grows or after it has faded,
 * instead of one per point for as long as it lasts: what an operator wants paged, and what benchmarks
 * that charge every alarm outside a labelled window (NAB) measure. Episode trackers (the watcher keeps an
 * incident open while its buckets stay anomalous) read the surprise from the state.
 * Slow drift is absorbed by the damped trend and the level (no shift alarm while the lag stays small against the chart sd).
 * Missing values (NaN) return NaN and change nothing.
 */

export interface AnomalyParams {
  /** Points scored 0 at the start while the model fills. */
  warmup: number;
  /** Level learning rate per observation. */
  levelAlpha: number;
  /** Trend learning rate per observation. */
  trendBeta: number;
  /** Trend damping per nominal step. */
  trendPhi: number;
  dailyBuckets: number;
  weeklyBuckets: number;
  /** Share of a daily bucket's error learned per bucket span of observations. */
  dailyGamma: number;
  /** Same for the weekly (hour-of-week) profile. */
  weeklyGamma: number;
  /** EWMA rate of the seasonal residual for the short-horizon predictor. */
  shortAlpha: number;
  /** Persistence of that residual per nominal step. */
  shortPhi: number;
  /** Rate of the running error scales. */
  scaleAlpha: number;
  /** Errors are clipped at this many scales for learning. */
  clip: number;
  /** Smallest scale, relative to |level| + 1e-3 (a constant series must not give infinite z). */
  minRelScale: number;
  /** Length of the short moving average of raw scores (channel B). */
  shortWindow: number;
  /** Equivalent window of the long-run distribution of the averaged raw scores (channel B). */
  likelihoodWindow: number;
  /** EWMA rate of the level-shift chart (channel C). */
  shiftLambda: number;
  /** Equivalent window of the chart's empirical variance. */
  shiftWindow: number;
  /** Chart alarm (and re-learning) at this many standard deviations. */
  shiftH: number;
  /** Hour-of-day buckets of the error variance (noise that changes with the time of day). */
  varianceBuckets: number;
  /** -log10(tail probability) that maps to score 1. */
  logTail: number;
  /**
   * Memory of the alarm gate per nominal step: a point's score is returned only when it exceeds every
   * recent per-point score, each decayed by this factor per step since (0: only the previous point's).
   */
  alarmDecay: number;
}

export const DEFAULT_PARAMS: Readonly<AnomalyParams> = Object.freeze({
  warmup: 64,
  levelAlpha: 0.03,
  trendBeta: 0.002,
  trendPhi: 0.98,
  dailyBuckets: 144,
  weeklyBuckets: 168,
  dailyGamma: 0.5,
  weeklyGamma: 0.1,
  shortAlpha: 0.5,
  shortPhi: 0.9,
  scaleAlpha: 0.01,
  clip: 4,
  minRelScale: 1e-4,
  shortWindow: 6,
  likelihoodWindow: 1440,
  shiftLambda: 0.1,
  shiftWindow: 1440,
  shiftH: 6,
  varianceBuckets: 24,
  logTail: 9,
  alarmDecay: 0.99,
});

const STEP_SAMPLES = 15;
/**
 * The alarm gate compares surprises before they are capped at 1, up to this: after a spike twice as
 * improbable (in log-probability) as the alarm level, a less surprising one soon after does not alarm.
 */
const GATE_CAP = 2;
const DAY = 86400;
const WEEK = 7 * DAY;

/** Per-series state: plain data only. */
export interface AnomalyState {
  params: AnomalyParams;
  n: number;
  lastT: number;
  /** Nominal sampling interval, seconds. */
  step: number;
  stepSeen: number;
  stepSamples: Float64Array;
  level: number;
  trend: number;
  daily: Float64Array;
  weekly: Float64Array;
  shortRes: number;
  var1: number;
  var2: number;
  ring: Float64Array;
  ringPos: number;
  ringSum: number;
  ringN: number;
  likMean: number;
  likVar: number;
  likN: number;
  /** Level-shift chart: EWMA of the seasonal residual and its empirical variance. */
  shiftMean: number;
  shiftVar: number;
  shiftN: number;
  /** Per hour-of-day error variances of the two predictors. */
  hourVar1: Float64Array;
  hourVar2: Float64Array;
  /** Level shifts re-learned so far. */
  shifts: number;
  /** Which channel gave the last score: 0 none/warm-up, 1 pointwise, 2 likelihood, 3 level shift. */
  channel: number;
  /** The last point's own score, before the alarm gate (what episode trackers follow). */
  surprise: number;
  /** Largest recent per-point score, decayed: the alarm gate. */
  recentMax: number;
}

export function createState(params: Partial<AnomalyParams> = {}): AnomalyState {
  const p: AnomalyParams = { ...DEFAULT_PARAMS, ...params };
  return {
    params: p,
    n: 0,
    lastT: 0,
    step: 0,
    stepSeen: 0,
    stepSamples: new Float64Array(STEP_SAMPLES),
    level: 0,
    trend: 0,
    daily: new Float64Array(p.dailyBuckets),
    weekly: new Float64Array(p.weeklyBuckets),
    shortRes: 0,
    var1: 0,
    var2: 0,
    ring: new Float64Array(p.shortWindow),
    ringPos: 0,
    ringSum: 0,
    ringN: 0,
    likMean: 0,
    likVar: 0,
    likN: 0,
    shiftMean: 0,
    shiftVar: 0,
    shiftN: 0,
    hourVar1: new Float64Array(p.varianceBuckets),
    hourVar2: new Float64Array(p.varianceBuckets),
    shifts: 0,
    channel: 0,
    surprise: 0,
    recentMax: 0,
  };
}

const LN10 = Math.LN10;
const LN_HALF = Math.log(0.5);

/** -log10 of the upper Gaussian tail Q(z), accurate to ~1e-7 relative, without underflow. */
export function negLog10Tail(z: number): number {
  if (z <= 0) return z === 0 ? -Math.log10(0.5) : -Math.log10(1 - Math.exp(-negLog10Tail(-z) * LN10));
  const x = z * Math.SQRT1_2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return -(LN_HALF + Math.log(t) - x * x + poly) / LN10;
}

function seasonalAt(profile: Float64Array, phase: number): number {
  const n = profile.length;
  const p = phase * n;
  const i0 = Math.floor(p);
  const f = p - i0;
  const a = i0 % n;
  const b = a + 1 === n ? 0 : a + 1;
  return profile[a] * (1 - f) + profile[b] * f;
}

function seasonalLearn(profile: Float64Array, phase: number, delta: number): void {
  const n = profile.length;
  const p = phase * n;
  const i0 = Math.floor(p);
  const f = p - i0;
  const a = i0 % n;
  const b = a + 1 === n ? 0 : a + 1;
  profile[a] += delta * (1 - f);
  profile[b] += delta * f;
}

function median(a: Float64Array, n: number): number {
  const s = Array.from(a.subarray(0, n)).sort((x, y) => x - y);
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Scores observation x at time t (seconds; non-decreasing — an earlier time counts as the same time) and
 * learns from it. Returns the anomaly score in [0, 1], or NaN for a missing value (NaN/infinite x).
 */
export function update(s: AnomalyState, t: number, x: number): number {
  if (!Number.isFinite(x) || !Number.isFinite(t)) return Number.NaN;
  const p = s.params;
  if (s.n === 0) {
    s.n = 1;
    s.lastT = t;
    s.level = x;
    return 0;
  }
  // time since the last observation, in nominal steps
  let dt = t - s.lastT;
  if (dt < 0) dt = 0;
  else s.lastT = t;
  if (dt > 0) {
    if (s.stepSeen < STEP_SAMPLES) {
      s.stepSamples[s.stepSeen++] = dt;
      s.step = median(s.stepSamples, s.stepSeen);
    } else if (dt > 0.5 * s.step && dt < 1.5 * s.step) {
      s.step += 0.01 * (dt - s.step);
    }
  }
  const m = s.step > 0 ? dt / s.step : 1;

  // 1. seasonal predictor
  const phi = p.trendPhi;
  const phiM = phi ** m;
  const trendGain = phi === 1 ? m : (phi * (1 - phiM)) / (1 - phi);
  const levelPred = s.level + s.trend * trendGain;
  const dPhase = (((t % DAY) + DAY) % DAY) / DAY;
  const wPhase = ((((t + 3 * DAY) % WEEK) + WEEK) % WEEK) / WEEK;
  const pred1 = levelPred + seasonalAt(s.daily, dPhase) + seasonalAt(s.weekly, wPhase);
  const r = x - pred1;
  // 2. short-horizon predictor
  const decay = p.shortPhi ** m;
  const e2 = r - decay * s.shortRes;

  s.n++;
  const floor = p.minRelScale * (Math.abs(s.level) + 1e-3);
  const hb = Math.min(p.varianceBuckets - 1, Math.floor(dPhase * p.varianceBuckets));
  const sc1 = Math.max(Math.sqrt(Math.max(s.var1, s.hourVar1[hb])), floor);
  const sc2 = Math.max(Math.sqrt(Math.max(s.var2, s.hourVar2[hb])), floor);
  const warm = s.n > p.warmup;
  const z2 = e2 / sc2;

  // A: pointwise surprise
  const az = Math.abs(z2);
  let score = warm ? (negLog10Tail(az) - Math.log10(2)) / p.logTail : 0;
  let channel = warm ? 1 : 0;

  // B: NAB anomaly likelihood of the short average of raw scores
  const raw = az < 6 ? az : 6;
  const K = p.shortWindow;
  s.ringSum += raw - s.ring[s.ringPos];
  s.ring[s.ringPos] = raw;
  s.ringPos = s.ringPos + 1 === K ? 0 : s.ringPos + 1;
  if (s.ringN < K) s.ringN++;
  if (s.ringN === K) {
    const avg = s.ringSum / K;
    if (warm && s.likN > 2 * K + 32) {
      const sd = Math.sqrt(s.likVar) + 1e-6;
      const b = negLog10Tail((avg - s.likMean) / sd) / p.logTail;
      if (b > score) {
        score = b;
        channel = 2;
      }
    }
    const a = Math.max(1 / ++s.likN, 1 / p.likelihoodWindow);
    const d = avg - s.likMean;
    s.likMean += a * d;
    s.likVar = (1 - a) * (s.likVar + a * d * d);
  }

  // C: level shift: EWMA chart of the seasonal residual with its empirical variance (autocorrelation-proof)
  const lim1 = p.clip * sc1;
  const rc = warm ? (r > lim1 ? lim1 : r < -lim1 ? -lim1 : r) : r;
  s.shiftMean += p.shiftLambda * (rc - s.shiftMean);
  let shifted = false;
  if (warm && s.shiftN > 2 / p.shiftLambda) {
    const u = Math.abs(s.shiftMean) / (Math.sqrt(s.shiftVar) + floor * p.shiftLambda);
    if (u >= p.shiftH) {
      shifted = true;
      score = Math.max(score, 1, (negLog10Tail(u) - Math.log10(2)) / p.logTail);
      channel = 3;
    } else {
      const c = (negLog10Tail(u) - Math.log10(2)) / p.logTail;
      if (c > score) {
        score = c;
        channel = 3;
      }
    }
  }
  if (!shifted) {
    const a = Math.max(1 / ++s.shiftN, 1 / p.shiftWindow);
    const m2 = s.shiftMean * s.shiftMean;
    s.shiftVar += a * ((s.shiftN > p.warmup ? Math.min(m2, 9 * s.shiftVar) : m2) - s.shiftVar);
  }

  // learning: clipped errors
  s.level = levelPred + p.levelAlpha * rc;
  s.trend = s.trend * phiM + p.trendBeta * rc;
  const step = s.step > 0 ? s.step : 1;
  const gd = Math.min(1, step / (DAY / p.dailyBuckets)) * p.dailyGamma;
  const gw = Math.min(1, step / (WEEK / p.weeklyBuckets)) * p.weeklyGamma;
  seasonalLearn(s.daily, dPhase, gd * rc);
  seasonalLearn(s.weekly, wPhase, gw * rc);
  const lim2 = p.clip * sc2;
  const e2c = warm ? (e2 > lim2 ? lim2 : e2 < -lim2 ? -lim2 : e2) : e2;
  s.shortRes = decay * s.shortRes + p.shortAlpha * e2c;
  const a = Math.max(1 / s.n, p.scaleAlpha);
  s.var1 += a * (rc * rc - s.var1);
  s.var2 += a * (e2c * e2c - s.var2);
  const ah = Math.max(1 / s.n, Math.min(1, step / (DAY / p.varianceBuckets)) * 0.3);
  s.hourVar1[hb] += ah * (rc * rc - s.hourVar1[hb]);
  s.hourVar2[hb] += ah * (e2c * e2c - s.hourVar2[hb]);

  if (shifted) {
    // re-learn the new normal: move the level by the current smoothed residual and restart the CUSUM
    s.level += s.shortRes;
    s.shortRes = 0;
    s.shiftMean = 0;
    s.shifts++;
  }
  s.channel = channel;
  const g = Math.min(score, GATE_CAP);
  score = Math.min(1, score);
  s.surprise = score;
  // the alarm gate: one alarm at the onset of an episode, another only if it grows
  const recent = s.recentMax;
  s.recentMax = Math.max(recent * (m === 1 ? p.alarmDecay : p.alarmDecay ** m), g);
  return g > recent ? score : 0;
}

/** Scores a whole series (times in seconds); equal to calling update point by point. */
export function scoreSeries(
  times: ArrayLike<number>,
  values: ArrayLike<number>,
  params: Partial<AnomalyParams> = {},
): Float64Array {
  const s = createState(params);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = update(s, times[i], values[i]);
  return out;
}

/** JSON-safe copy of a state (typed arrays as number arrays). */
export function serializeState(s: AnomalyState): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) o[k] = v instanceof Float64Array ? Array.from(v) : v;
  return o;
}

export function deserializeState(o: Record<string, unknown>): AnomalyState {
  const s = createState(o.params as Partial<AnomalyParams>);
  const target = s as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === "params") continue;
    target[k] = target[k] instanceof Float64Array ? Float64Array.from(v as number[]) : v;
  }
  return s;
}
