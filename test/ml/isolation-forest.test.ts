import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { averagePathLength, IsolationForest } from "../../src/ml/isolation-forest.ts";
import { fromRows, matrix } from "../../src/ml/matrix.ts";
import { rocAuc } from "../../src/ml/metrics.ts";

test("c(n): the average path length correction", () => {
  assert.equal(averagePathLength(0), 0);
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  const h = (m: number): number => Math.log(m) + 0.5772156649015329;
  assert.ok(Math.abs(averagePathLength(256) - (2 * h(255) - (2 * 255) / 256)) < 1e-12);
  assert.ok(Math.abs(averagePathLength(256) - 10.2448) < 1e-4);
});

test("injected outliers score high, inliers low; AUC > 0.95", () => {
  const rng = new Rng(1);
  const d = 5;
  const inliers = 2000;
  const outliers = 40;
  const n = inliers + outliers;
  const data = new Float64Array(n * d);
  const truth = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const out = i >= inliers;
    truth[i] = out ? 1 : 0;
    for (let j = 0; j < d; j++) {
      // Outliers: far out along a random sign on each axis.
      data[i * d + j] = out ? (rng.chance(0.5) ? 1 : -1) * rng.uniform(6, 10) : rng.normal(0, 1);
    }
  }
  const m = matrix(n, d, data);
  const scores = new IsolationForest({ seed: 7 }).fitScore(m);
  let inMean = 0;
  let outMean = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(scores[i] > 0 && scores[i] <= 1);
    if (truth[i]) outMean += scores[i] / outliers;
    else inMean += scores[i] / inliers;
  }
  assert.ok(outMean > 0.6, `outliers ${outMean}`);
  assert.ok(inMean < 0.5, `inliers ${inMean}`);
  assert.ok(rocAuc(scores, truth) > 0.95);
});

test("same seed, same forest and scores; a new point far away scores near the top", () => {
  const rng = new Rng(2);
  const data = new Float64Array(3000).map(() => rng.normal());
  const m = matrix(1000, 3, data);
  const a = new IsolationForest({ seed: "s", nTrees: 50 }).fitScore(m);
  const b = new IsolationForest({ seed: "s", nTrees: 50 }).fitScore(m);
  assert.deepEqual(a, b);
  const f = new IsolationForest({ seed: 1 }).fit(m);
  const s = f.score(
    fromRows([
      [0, 0, 0],
      [50, -50, 50],
    ]),
  );
  assert.ok(s[0] < 0.45 && s[1] > 0.7, `${s[0]} ${s[1]}`);
});

test("small and degenerate inputs: sampleSize capped at n, identical rows", () => {
  const f = new IsolationForest({ sampleSize: 256, seed: 1 }).fit(fromRows([[1], [2], [3], [100]]));
  const s = f.score(fromRows([[2], [100]]));
  assert.ok(s[1] > s[0]);
  const same = new IsolationForest({ seed: 1 }).fitScore(
    fromRows([
      [5, 5],
      [5, 5],
      [5, 5],
    ]),
  );
  // Every path stops at the root: h = c(3), so s = 2^-1.
  for (const v of same) assert.ok(Math.abs(v - 0.5) < 1e-12);
});

test("isolation forest: bad input gives clear RangeErrors", () => {
  assert.throws(() => new IsolationForest().fit(matrix(0, 2)), /IsolationForest.fit: the matrix is empty/);
  assert.throws(() => new IsolationForest().fit(matrix(4, 0)), /no columns/);
  assert.throws(() => new IsolationForest().fit(fromRows([[1]])), /at least 2 rows/);
  assert.throws(() => new IsolationForest().fit(fromRows([[1], [Number.NaN]])), /NaN/);
  assert.throws(() => new IsolationForest({ nTrees: 0 }), /nTrees must be a positive integer/);
  assert.throws(() => new IsolationForest({ sampleSize: 1 }), /sampleSize must be an integer >= 2/);
  assert.throws(() => new IsolationForest().score(fromRows([[1]])), /call fit first/);
  const f = new IsolationForest().fit(
    fromRows([
      [1, 2],
      [3, 4],
    ]),
  );
  assert.throws(() => f.score(fromRows([[1]])), /fitted on 2 columns, got 1/);
});
