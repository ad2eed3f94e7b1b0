import assert from "node:assert/strict";
import { test } from "node:test";
import {
  createState,
  deserializeState,
  negLog10Tail,
  scoreSeries,
  serializeState,
  update,
} from "../../src/anomaly/detector.ts";
import { evaluateCorpus, syntheticCorpus } from "../../src/anomaly/evaluate.ts";
import { type AnomalyKind, synthetic } from "../../src/anomaly/synthetic.ts";

const THRESHOLD = 0.95;

function firstAlarmAfter(scores: Float64Array, from: number): number {
  for (let i = from; i < scores.length; i++) if (scores[i] > THRESHOLD) return i;
  return -1;
}

test("Gaussian tail helper matches known values", () => {
  assert.ok(Math.abs(negLog10Tail(0) - Math.log10(2)) < 1e-6);
  assert.ok(Math.abs(negLog10Tail(1.96) - -Math.log10(0.025)) < 1e-3);
  assert.ok(Math.abs(negLog10Tail(5) - -Math.log10(2.866516e-7)) < 1e-3);
  assert.ok(Number.isFinite(negLog10Tail(60)));
});

test("scores are in [0, 1], deterministic, and without look-ahead", () => {
  const s = synthetic("ddos", 11);
  const a = scoreSeries(s.times, s.values);
  const b = scoreSeries(s.times, s.values);
  assert.deepEqual(a, b);
  for (const v of a) assert.ok(v >= 0 && v <= 1, String(v));
  const cut = 3000;
  const prefix = scoreSeries(s.times.subarray(0, cut), s.values.subarray(0, cut));
  assert.deepEqual(prefix, a.subarray(0, cut));
  // changing the future leaves the past untouched
  const v2 = Float64Array.from(s.values);
  for (let i = cut; i < v2.length; i++) v2[i] = 0;
  assert.deepEqual(scoreSeries(s.times, v2).subarray(0, cut), a.subarray(0, cut));
});

test("state is plain data that survives JSON", () => {
  const s = synthetic("spike", 3);
  const st = createState();
  const half = 2000;
  for (let i = 0; i < half; i++) update(st, s.times[i], s.values[i]);
  const copy = deserializeState(JSON.parse(JSON.stringify(serializeState(st))));
  for (let i = half; i < half + 500; i++) {
    assert.equal(update(copy, s.times[i], s.values[i]), update(st, s.times[i], s.values[i]));
  }
});

// Detection within a few points of onset on seeds 1-4. The hard cases (a 2-sigma level shift of the success
// ratio, a night-time spike of 5 local sd, a 4x variance burst at low volume) are not all caught: the test
// pins the share that is, per kind, so regressions show.
const MIN_DETECTED: Record<string, number> = {
  spike: 0.85,
  "level-shift": 0.75,
  variance: 0.5, // known weakness: 2 of 4 found
  ddos: 1,
  "rate-spike": 1,
  "rate-shift": 0.25, // known weakness: 40% volume shifts are re-learned before the chart fires
};
for (const [kind, share] of Object.entries(MIN_DETECTED)) {
  test(`detects ${kind} within a few points of onset`, () => {
    let found = 0;
    let total = 0;
    const seen: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      const s = synthetic(kind as AnomalyKind, seed);
      const scores = scoreSeries(s.times, s.values);
      const limit = kind === "variance" ? 40 : 12;
      for (const o of s.onsets) {
        const d = firstAlarmAfter(scores, o) - o;
        seen.push(d);
        total++;
        if (d >= 0 && d <= limit) found++;
      }
    }
    assert.ok(found / total >= share, `${kind}: delays ${seen}`);
  });
}

test("clean seasonal series and slow drift: few alarms after warm-up", () => {
  let alarms = 0;
  let points = 0;
  for (const kind of ["clean", "drift"] as AnomalyKind[]) {
    for (const seed of [1, 2, 3, 4]) {
      const s = synthetic(kind, seed);
      const scores = scoreSeries(s.times, s.values);
      const warm = 720 * 2; // two days
      for (let i = warm; i < scores.length; i++) if (scores[i] > THRESHOLD) alarms++;
      points += scores.length - warm;
    }
  }
  assert.ok(alarms / points < 0.005, `false-positive rate ${alarms}/${points}`);
});

test("re-learns after a level shift: alarms stop", () => {
  for (const seed of [1, 2, 3]) {
    const s = synthetic("level-shift", seed);
    const scores = scoreSeries(s.times, s.values);
    const o = s.onsets[0];
    let late = 0;
    for (let i = o + 100; i < scores.length; i++) if (scores[i] > THRESHOLD) late++;
    assert.ok(late / (scores.length - o - 100) < 0.01, `seed ${seed}: ${late} alarms long after the shift`);
  }
});

test("irregular gaps and missing values are handled", () => {
  const st = createState();
  const t0 = 1_700_000_000;
  let t = t0;
  for (let i = 0; i < 3000; i++) {
    t += i % 97 === 0 ? 7200 : 60 + (i % 7) * 10; // jitter and 2-hour holes
    const v = i % 50 === 0 ? Number.NaN : 10 + Math.sin(t / 5000);
    const sc = update(st, t, v);
    if (Number.isNaN(v)) assert.ok(Number.isNaN(sc));
    else assert.ok(sc >= 0 && sc <= 1);
  }
  // time going backwards is tolerated
  assert.ok(update(st, t - 1000, 10) <= 1);
  // a constant series does not alarm, a jump does
  const c = createState();
  let last = 0;
  for (let i = 0; i < 500; i++) last = update(c, i * 60, 1);
  assert.ok(last < THRESHOLD);
  assert.ok(update(c, 500 * 60, 0.5) > THRESHOLD);
});

test("alarm gate: one alarm at the onset of a sustained anomaly while the surprise stays high", () => {
  for (const seed of [1, 2, 3, 4]) {
    const s = synthetic("ddos", seed);
    const st = createState();
    const e = s.effects[0];
    let alarms = 0;
    let high = 0;
    let first = -1;
    for (let i = 0; i < s.values.length; i++) {
      const a = update(st, s.times[i], s.values[i]);
      assert.ok(a === 0 || a === st.surprise, "the alarm score is the surprise or 0");
      if (i < e.start || i > e.end) continue;
      if (a > THRESHOLD) {
        alarms++;
        if (first < 0) first = i - e.start;
      }
      if (st.surprise > THRESHOLD) high++;
    }
    const length = e.end - e.start + 1;
    assert.ok(first >= 0 && first <= 3, `seed ${seed}: first alarm ${first} points after onset`);
    assert.ok(alarms <= 2, `seed ${seed}: ${alarms} alarms in one attack`);
    assert.ok(high >= length / 2, `seed ${seed}: surprise high on ${high} of ${length} points`);
  }
});

test("alarm gate: a smaller spike soon after a large one does not alarm, a larger or a later one does", () => {
  const st = createState();
  const at = (i: number) => 1_700_000_000 + i * 60;
  const base = (i: number) => 100 + Math.sin(i / 7) + ((i * 7919) % 13) / 13;
  const spikes = new Map([
    [600, 200],
    [610, 103],
    [620, 400],
    [1400, 200],
  ]);
  const alarms: number[] = [];
  for (let i = 0; i < 1500; i++) {
    const v = spikes.get(i) ?? base(i);
    if (update(st, at(i), v) > THRESHOLD) alarms.push(i);
    if (spikes.has(i)) assert.ok(st.surprise > THRESHOLD, `spike at ${i} is surprising`);
  }
  // 610 is surprising on its own but less than 600 was: gated; 620 is larger; 1400 comes after the gate faded
  assert.deepEqual(alarms, [600, 620, 1400]);
});

test("NAB-style score on the synthetic corpus beats a rolling z-score", () => {
  const ev = evaluateCorpus(syntheticCorpus([3, 4, 5, 6]));
  process.stdout.write(`# NAB-style synthetic corpus: ${JSON.stringify(ev)}\n`);
  assert.ok(ev.detector.atThreshold.score > ev.baseline.atThreshold.score);
  assert.ok(ev.detector.best.score > ev.baseline.best.score);
  assert.ok(ev.detector.atThreshold.score > 50);
});
