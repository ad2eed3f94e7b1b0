import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { dbscan, dedupeRows, kDistances } from "../../src/ml/dbscan.ts";
import { fromRows, type Matrix, matrix } from "../../src/ml/matrix.ts";
import { adjustedRandIndex } from "../../src/ml/metrics.ts";
import { blobs, stack, uniform } from "./data.ts";

/** scikit-learn's algorithm verbatim: all neighbourhoods, then a depth-first expansion in row order. */
function bruteDbscan(m: Matrix, eps: number, minSamples: number, weight?: ArrayLike<number>) {
  const { rows: n, cols: d, data } = m;
  const nbrs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const l: number[] = [];
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (data[i * d + k] - data[j * d + k]) ** 2;
      if (s <= eps * eps) l.push(j);
    }
    nbrs.push(l);
  }
  const core = nbrs.map((l) => l.reduce((a, j) => a + (weight ? weight[j] : 1), 0) >= minSamples);
  const labels = new Int32Array(n).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== -1 || !core[i]) continue;
    const todo = [i];
    while (todo.length > 0) {
      const p = todo.pop()!;
      if (labels[p] !== -1) continue;
      labels[p] = next;
      if (core[p]) for (const q of nbrs[p]) if (labels[q] === -1) todo.push(q);
    }
    next++;
  }
  return { labels, core: Uint8Array.from(core, Number) };
}

test("identical to a brute-force O(n^2) DBSCAN on random data with ties, duplicates and weights", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 40; trial++) {
    const n = 200 + rng.int(400);
    const d = 1 + rng.int(6);
    const grid = [1, 2, 4, 10][trial % 4];
    const data = new Float64Array(n * d);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(rng.normal(0, 1.5) * grid) / grid;
    const m = matrix(n, d, data);
    const eps = trial % 3 === 0 ? 1 : 0.3 + 1.5 * rng.next();
    const minSamples = 1 + rng.int(10);
    const weight = trial % 5 === 4 ? Float64Array.from({ length: n }, () => rng.int(3)) : undefined;
    const want = bruteDbscan(m, eps, minSamples, weight);
    const got = dbscan(m, { eps, minSamples, sampleWeight: weight, leafSize: 1 + rng.int(32) });
    assert.deepEqual(got.core, want.core, `trial ${trial}: core flags`);
    assert.deepEqual(got.labels, want.labels, `trial ${trial}: labels`);
    assert.equal(got.noise, want.labels.filter((l) => l < 0).length);
    assert.equal(got.clusters, Math.max(-1, ...want.labels) + 1);
  }
});

test("recovers seeded Gaussian blobs and marks the uniform noise", () => {
  const rng = new Rng(3);
  const centers = [
    [0, 0],
    [6, 0],
    [0, 6],
    [6, 6],
  ];
  const { m: b, labels: truth } = blobs(rng, centers, 500, 0.3);
  const noise = uniform(rng, 200, 2, -4, 10);
  const m = stack(b, noise);
  const r = dbscan(m, { eps: 0.3, minSamples: 8 });
  assert.equal(r.clusters, 4);
  const blobLabels = r.labels.subarray(0, b.rows);
  assert.ok(adjustedRandIndex(truth, blobLabels) > 0.95);
  assert.ok(blobLabels.filter((l) => l < 0).length < 0.05 * b.rows, "few blob points are noise");
  // Noise points farther than 2 from every centre (7 sd) cannot be in a cluster.
  let far = 0;
  for (let i = b.rows; i < m.rows; i++) {
    const x = m.data[i * 2];
    const y = m.data[i * 2 + 1];
    if (centers.every(([cx, cy]) => Math.hypot(x - cx, y - cy) > 2)) {
      far++;
      assert.equal(r.labels[i], -1, `noise point ${i} at ${x},${y}`);
      assert.equal(r.core[i], 0);
    }
  }
  assert.ok(far > 100);
  // Clusters are numbered in order of discovery: row 0 (a core point of blob 0) starts cluster 0.
  assert.equal(r.labels[0], 0);
  assert.equal(r.labels[1], 1);
});

test("a distance of exactly eps is a neighbour (<=, as scikit-learn)", () => {
  const pair = fromRows([
    [0, 0],
    [3, 4],
  ]);
  assert.deepEqual(Array.from(dbscan(pair, { eps: 5, minSamples: 2 }).labels), [0, 0]);
  assert.deepEqual(Array.from(dbscan(pair, { eps: 4.999999, minSamples: 2 }).labels), [-1, -1]);
  const line = fromRows([[0], [1], [2], [3]]);
  const r = dbscan(line, { eps: 1, minSamples: 3 });
  assert.deepEqual(Array.from(r.core), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(r.labels), [0, 0, 0, 0]);
});

test("a border point reachable from two clusters joins the first one discovered", () => {
  const a = [[0], [1], [2], [3]];
  const b = [[17], [18], [19], [20]];
  const border = [10]; // 7 from 3 and from 17: exactly eps
  const first = dbscan(fromRows([...a, border, ...b]), { eps: 7, minSamples: 4 });
  assert.equal(first.core[4], 0);
  assert.deepEqual(Array.from(first.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const second = dbscan(fromRows([...b, border, ...a]), { eps: 7, minSamples: 4 });
  assert.deepEqual(Array.from(second.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  // Discovery order follows rows even when the first core row comes late.
  const late = dbscan(fromRows([border, ...b, ...a]), { eps: 7, minSamples: 4 });
  assert.deepEqual(Array.from(late.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1]);
});

test("duplicates count towards minSamples and many copies stay fast", () => {
  const rows: number[][] = [];
  for (let i = 0; i < 5; i++) rows.push([1, 1]);
  for (let i = 0; i < 4; i++) rows.push([9, 9]);
  const r = dbscan(fromRows(rows), { eps: 0.5, minSamples: 5 });
  assert.deepEqual(Array.from(r.labels), [0, 0, 0, 0, 0, -1, -1, -1, -1]);

  // 200k rows, 40 distinct 10-d vectors in 4 groups, plus one isolated vector.
  const rng = new Rng(5);
  const distinct = Array.from({ length: 40 }, (_, v) =>
    Array.from({ length: 10 }, () => (v % 4) * 10 + Math.round(rng.normal(0, 0.2) * 100) / 100),
  );
  const n = 200_000;
  const data = new Float64Array(n * 10);
  const truth = new Int32Array(n);
  for (let i = 0; i < n - 1; i++) {
    const v = rng.int(40);
    data.set(distinct[v], i * 10);
    truth[i] = v % 4;
  }
  data.fill(100, (n - 1) * 10);
  truth[n - 1] = -1;
  const big = dbscan(matrix(n, 10, data), { eps: 2, minSamples: 10 });
  assert.equal(big.clusters, 4);
  assert.equal(big.labels[n - 1], -1);
  assert.equal(adjustedRandIndex(truth, big.labels), 1);
  assert.equal(dedupeRows(matrix(n, 10, data)).unique, 41);
});

test("sample weights act as multiplicities", () => {
  const m = fromRows([[0], [0.5], [10]]);
  const r = dbscan(m, { eps: 1, minSamples: 5, sampleWeight: [4, 1, 5] });
  assert.deepEqual(Array.from(r.labels), [0, 0, 1]);
  assert.deepEqual(Array.from(r.core), [1, 1, 1]);
  const dup = dbscan(fromRows([[0], [0], [0], [0], [0.5], [10], [10], [10], [10], [10]]), {
    eps: 1,
    minSamples: 5,
  });
  assert.deepEqual(Array.from(dup.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
});

test("kDistances: distance to the k-th nearest row, the row itself first", () => {
  const m = fromRows([[0], [1], [3], [7]]);
  assert.deepEqual(Array.from(kDistances(m, 1)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(kDistances(m, 2)), [1, 1, 2, 4]);
  assert.deepEqual(Array.from(kDistances(m, 4)), [7, 6, 4, 7]);
});

test("dbscan: bad input gives clear RangeErrors", () => {
  const ok = fromRows([[0], [1], [2]]);
  assert.throws(() => dbscan(matrix(0, 2), { eps: 1 }), /dbscan: the matrix is empty/);
  assert.throws(() => dbscan(matrix(3, 0), { eps: 1 }), /dbscan: the matrix has no columns/);
  assert.throws(
    () => dbscan(fromRows([[0], [Number.NaN]]), { eps: 1, minSamples: 1 }),
    /row 1, column 0 is NaN/,
  );
  assert.throws(
    () => dbscan(ok, { eps: 1, minSamples: 5 }),
    /minSamples \(5\) exceeds the number of rows \(3\)/,
  );
  assert.throws(() => dbscan(ok, { eps: 0 }), /eps must be a finite number > 0, got 0/);
  assert.throws(() => dbscan(ok, { eps: Number.NaN }), /eps must be/);
  assert.throws(() => dbscan(ok, { eps: 1, minSamples: 0 }), /minSamples must be >= 1/);
  assert.throws(
    () => dbscan(ok, { eps: 1, minSamples: 1, metric: "cosine" as "euclidean" }),
    /unsupported metric cosine/,
  );
  assert.throws(
    () => dbscan(ok, { eps: 1, minSamples: 1, sampleWeight: [1, 1] }),
    /2 sample weights for 3 rows/,
  );
  assert.throws(
    () => dbscan(ok, { eps: 1, minSamples: 1, sampleWeight: [1, -1, 1] }),
    /sample weight 1 is -1/,
  );
});
