import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { kmeans, kmeansPlusPlus, predict } from "../../src/ml/kmeans.ts";
import { fromRows, type Matrix, matrix } from "../../src/ml/matrix.ts";
import { adjustedRandIndex } from "../../src/ml/metrics.ts";
import { blobs, uniform } from "./data.ts";

const centers = [
  [0, 0, 0],
  [8, 0, 0],
  [0, 8, 0],
  [0, 0, 8],
  [8, 8, 8],
];

/** Plain Lloyd from given centres, for comparison: assign, update, stop when labels repeat. */
function plainLloyd(m: Matrix, init: Float64Array, k: number): { labels: Int32Array; centers: Float64Array } {
  const { rows: n, cols: d, data } = m;
  const c = init.slice();
  let labels = new Int32Array(n).fill(-1);
  for (let iter = 0; iter < 300; iter++) {
    const next = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = Number.POSITIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += (data[i * d + t] - c[j * d + t]) ** 2;
        if (s < best) {
          best = s;
          next[i] = j;
        }
      }
    }
    if (next.every((v, i) => v === labels[i])) break;
    labels = next;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[labels[i]]++;
      for (let t = 0; t < d; t++) sums[labels[i] * d + t] += data[i * d + t];
    }
    for (let j = 0; j < k; j++) for (let t = 0; t < d; t++) c[j * d + t] = sums[j * d + t] / counts[j];
  }
  return { labels, centers: c };
}

test("recovers seeded Gaussian blobs", () => {
  const { m, labels: truth } = blobs(new Rng(1), centers, 400, 1);
  const r = kmeans(m, { k: 5, seed: 1 });
  assert.ok(adjustedRandIndex(truth, r.labels) > 0.95);
  assert.ok(r.converged);
  assert.equal(r.centroids.rows, 5);
  // Every centroid is within 0.3 of a true centre.
  for (let c = 0; c < 5; c++) {
    const x = Array.from(r.centroids.data.subarray(c * 3, c * 3 + 3));
    assert.ok(centers.some((t) => Math.hypot(x[0] - t[0], x[1] - t[1], x[2] - t[2]) < 0.3));
  }
  const again = predict(m, r.centroids);
  assert.deepEqual(again.labels, r.labels);
  assert.ok(Math.abs(again.inertia - r.inertia) < 1e-9 * r.inertia);
});

test("same seed, same result; another seed may differ but is as good on clean blobs", () => {
  const { m } = blobs(new Rng(2), centers, 300, 1.5);
  const a = kmeans(m, { k: 5, seed: "x", nInit: 3 });
  const b = kmeans(m, { k: 5, seed: "x", nInit: 3 });
  assert.deepEqual(a.labels, b.labels);
  assert.deepEqual(a.centroids.data, b.centroids.data);
  assert.equal(a.inertia, b.inertia);
  assert.equal(a.iterations, b.iterations);
});

test("more initialisations never give a higher inertia (best of nInit wins)", () => {
  // Overlapping blobs and k larger than the number of blobs: many local optima.
  const { m } = blobs(new Rng(3), centers, 200, 3);
  let improved = 0;
  for (const seed of [1, 2, 3, 4]) {
    const one = kmeans(m, { k: 9, nInit: 1, seed });
    const ten = kmeans(m, { k: 9, nInit: 10, seed });
    assert.ok(ten.inertia <= one.inertia, `seed ${seed}: ${ten.inertia} > ${one.inertia}`);
    if (ten.inertia < one.inertia) improved++;
  }
  assert.ok(improved > 0, "some single run is beaten by the best of ten");
});

test("iterations match plain Lloyd from the same initial centres", () => {
  const { m } = blobs(new Rng(4), centers, 200, 3);
  for (const seed of [1, 2, 3]) {
    const init = kmeansPlusPlus(m, 7, new Rng(seed));
    const want = plainLloyd(m, init.data, 7);
    const got = kmeans(m, { k: 7, init, tol: 0 });
    assert.deepEqual(got.labels, want.labels);
    for (let i = 0; i < want.centers.length; i++)
      assert.ok(Math.abs(got.centroids.data[i] - want.centers[i]) < 1e-9);
    let inertia = 0;
    for (let i = 0; i < m.rows; i++) {
      for (let t = 0; t < 3; t++) inertia += (m.data[i * 3 + t] - want.centers[want.labels[i] * 3 + t]) ** 2;
    }
    assert.ok(Math.abs(got.inertia - inertia) < 1e-9 * inertia);
  }
});

test("seeded runs match plain Lloyd from the k-means++ centres (odd n, odd d, k not a multiple of 4)", () => {
  // 5-d blobs of 201 rows each (1005 rows) and 7-d uniform data: the two-row and four-centre kernels
  // all have leftovers; k 3, 7, 9 and 21 draw 3, 3, 4 and 5 candidates per k-means++ step.
  const { m: b } = blobs(
    new Rng(7),
    centers.map((c) => [...c, c[0] - c[1], 1]),
    201,
    2.5,
  );
  const u = uniform(new Rng(8), 999, 7, -1, 1);
  for (const [m, k] of [
    [b, 3],
    [b, 7],
    [u, 9],
    [u, 21],
  ] as const) {
    for (const seed of [1, 2]) {
      const init = kmeansPlusPlus(m, k, new Rng(seed));
      const want = plainLloyd(m, init.data, k);
      const got = kmeans(m, { k, nInit: 1, seed, tol: 0 });
      assert.deepEqual(got.labels, want.labels, `k ${k}, seed ${seed}`);
      for (let i = 0; i < want.centers.length; i++)
        assert.ok(Math.abs(got.centroids.data[i] - want.centers[i]) < 1e-9, `k ${k}, seed ${seed}`);
    }
  }
});

test("each of nInit runs is seeded afresh from the same generator (buffers reused, not carried over)", () => {
  const { m } = blobs(new Rng(9), centers, 150, 3);
  const rng = new Rng("runs");
  const runs = [0, 1, 2].map(() => kmeans(m, { k: 6, init: kmeansPlusPlus(m, 6, rng), tol: 0 }));
  const best = runs.reduce((a, r) => (r.inertia < a.inertia ? r : a));
  const all = kmeans(m, { k: 6, nInit: 3, seed: "runs", tol: 0 });
  assert.deepEqual(all.labels, best.labels);
  assert.equal(all.iterations, best.iterations);
  assert.ok(Math.abs(all.inertia - best.inertia) <= 1e-12 * best.inertia);
});

test("k-means++ spreads the first centres over the blobs", () => {
  const { m } = blobs(new Rng(5), centers, 100, 0.5);
  const init = kmeansPlusPlus(m, 5, new Rng(9));
  const hit = new Set<number>();
  for (let c = 0; c < 5; c++) {
    const { labels } = predict(
      fromRows([Array.from(init.data.subarray(c * 3, c * 3 + 3))]),
      fromRows(centers),
    );
    hit.add(labels[0]);
  }
  assert.equal(hit.size, 5);
});

test("an empty cluster is moved to the farthest point", () => {
  const m = fromRows([[0], [1], [2], [10], [11], [12]]);
  const init = fromRows([[1], [11], [1000]]);
  const r = kmeans(m, { k: 3, init });
  assert.equal(new Set(r.labels).size, 3, "no cluster stays empty");
  assert.ok(Number.isFinite(r.inertia));
  const k1 = kmeans(m, { k: 6, seed: 1 });
  assert.equal(k1.inertia, 0, "k = n: every row its own centre");
});

test("k = 1 gives the mean; maxIter = 1 stops early with labels matching the centroids", () => {
  const m = fromRows([
    [0, 0],
    [2, 0],
    [4, 6],
  ]);
  const one = kmeans(m, { k: 1, seed: 1 });
  assert.deepEqual(Array.from(one.centroids.data), [2, 2]);
  assert.equal(one.inertia, 4 + 4 + 4 + 0 + 4 + 16);
  const { m: b } = blobs(new Rng(6), centers, 200, 3);
  const r = kmeans(b, { k: 6, maxIter: 1, nInit: 1, seed: 2 });
  assert.equal(r.iterations, 1);
  assert.equal(r.converged, false);
  assert.deepEqual(predict(b, r.centroids).labels, r.labels);
});

test("kmeans: bad input gives clear RangeErrors", () => {
  const m = fromRows([[0], [1], [2]]);
  assert.throws(() => kmeans(m, { k: 4 }), /kmeans: k \(4\) exceeds the number of rows \(3\)/);
  assert.throws(() => kmeans(m, { k: 0 }), /k must be a positive integer/);
  assert.throws(() => kmeans(matrix(0, 2), { k: 1 }), /kmeans: the matrix is empty/);
  assert.throws(() => kmeans(matrix(3, 0), { k: 1 }), /no columns/);
  assert.throws(() => kmeans(fromRows([[Number.NaN], [1]]), { k: 1 }), /row 0, column 0 is NaN/);
  assert.throws(() => kmeans(m, { k: 2, nInit: 0 }), /nInit/);
  assert.throws(() => kmeans(m, { k: 2, init: fromRows([[1]]) }), /init is 1 x 1, expected 2 x 1/);
  assert.throws(() => predict(m, fromRows([[1, 2]])), /rows have 1 columns, centroids 2/);
});
