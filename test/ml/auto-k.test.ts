import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { chooseK, elbow, silhouette, silhouetteSamples } from "../../src/ml/auto-k.ts";
import { fromRows, matrix } from "../../src/ml/matrix.ts";
import { blobs } from "./data.ts";

const four = [
  [0, 0],
  [10, 0],
  [0, 10],
  [10, 10],
];

test("silhouette on a hand-computed case", () => {
  const m = fromRows([[0], [1], [10], [11]]);
  const s = silhouetteSamples(m, [0, 0, 1, 1]);
  const want = [9.5 / 10.5, 8.5 / 9.5, 8.5 / 9.5, 9.5 / 10.5];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(s[i] - want[i]) < 1e-12);
  assert.ok(Math.abs(silhouette(m, [7, 7, 3, 3]) - (want[0] + want[1]) / 2) < 1e-12, "any label values");
  // A point alone in its cluster scores 0.
  assert.equal(silhouetteSamples(fromRows([[0], [1], [10]]), [0, 0, 1])[2], 0);
});

test("sampled silhouette is seeded and close to the exact one", () => {
  const { m, labels } = blobs(new Rng(1), four, 1500, 3);
  const exact = silhouette(m, labels);
  const a = silhouette(m, labels, { sampleSize: 1500, seed: 4 });
  const b = silhouette(m, labels, { sampleSize: 1500, seed: 4 });
  assert.equal(a, b);
  assert.ok(Math.abs(a - exact) < 0.02, `${a} vs ${exact}`);
  assert.equal(silhouette(m, labels, { sampleSize: 100_000 }), exact, "no sampling below sampleSize");
});

test("chooseK finds k = 4 on four separated blobs (exact and sampled silhouette)", () => {
  const small = blobs(new Rng(2), four, 250, 1);
  const r = chooseK(small.m, { kMin: 2, kMax: 8, seed: 1 });
  assert.equal(r.k, 4);
  assert.equal(r.result.centroids.rows, 4);
  assert.deepEqual(
    r.scores.map((s) => s.k),
    [2, 3, 4, 5, 6, 7, 8],
  );
  const best = Math.max(...r.scores.map((s) => s.silhouette));
  assert.equal(r.scores[2].silhouette, best);
  assert.ok(best > 0.7);

  const large = blobs(new Rng(3), four, 1600, 1.2); // 6400 rows: silhouette on a 5000-row sample
  const rl = chooseK(large.m, { kMax: 7, seed: 2, nInit: 1 });
  assert.equal(rl.k, 4);
  assert.equal(rl.result.labels.length, 6400);
});

test("elbow picks the knee of an inertia curve", () => {
  const ks = [1, 2, 3, 4, 5, 6, 7, 8];
  assert.equal(elbow(ks, [100, 40, 15, 12, 10, 9, 8, 7.5]), 3);
  const { m } = blobs(new Rng(4), four, 200, 1);
  const { scores } = chooseK(m, { kMin: 2, kMax: 8, seed: 1 });
  assert.equal(
    elbow(
      scores.map((s) => s.k),
      scores.map((s) => s.inertia),
    ),
    4,
  );
});

test("auto-k: bad input gives clear RangeErrors", () => {
  const m = fromRows([[0], [1], [2], [3]]);
  assert.throws(
    () => silhouette(m, [0, 0, 0, 0]),
    /silhouette: needs between 2 and n - 1 = 3 clusters, got 1/,
  );
  assert.throws(() => silhouette(m, [0, 1, 2, 3]), /got 4/);
  assert.throws(() => silhouette(m, [0, 1]), /silhouette: 2 labels for 4 rows/);
  assert.throws(() => silhouette(matrix(0, 1), []), /silhouette: the matrix is empty/);
  assert.throws(() => chooseK(m, { kMin: 1 }), /kMin must be an integer >= 2/);
  assert.throws(() => chooseK(fromRows([[0], [1]])), /no k to try in \[2, 10\] with 2 rows/);
  assert.throws(() => chooseK(fromRows([[0], [Number.NaN], [3]])), /row 1, column 0 is NaN/);
  assert.throws(() => elbow([1, 2], [1]), /elbow/);
});
