import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { KdTree } from "../../src/ml/kdtree.ts";
import { matrix, row } from "../../src/ml/matrix.ts";

function randomData(rng: Rng, n: number, d: number, grid: number): Float64Array {
  // Values on a grid: many exact ties and duplicate points.
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(rng.normal(0, 2) * grid) / grid;
  return data;
}

function bruteWithin(data: Float64Array, n: number, d: number, q: ArrayLike<number>, r: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (data[i * d + k] - q[k]) ** 2;
    if (s <= r * r) out.push(i);
  }
  return out;
}

test("radius queries and counts equal brute force (ties on the boundary included)", () => {
  const rng = new Rng(7);
  for (const [n, d, leaf] of [
    [500, 1, 4],
    [800, 2, 24],
    [600, 3, 1],
    [700, 6, 16],
  ]) {
    const data = randomData(rng, n, d, 2);
    const tree = new KdTree(matrix(n, d, data), { leafSize: leaf });
    for (let t = 0; t < 60; t++) {
      const q =
        t % 2 ? row(matrix(n, d, data), rng.int(n)) : Array.from({ length: d }, () => rng.normal(0, 2));
      const r = [0, 0.5, 1, 1.5, 3][t % 5];
      const want = bruteWithin(data, n, d, q, r);
      assert.deepEqual(Array.from(tree.within(q, r)), want);
      assert.equal(tree.countWithin(q, r), want.length);
      assert.equal(tree.countWithin(q, r, 3), Math.min(3, want.length));
    }
  }
});

test("nearest: k nearest distances equal brute force", () => {
  const rng = new Rng(8);
  const n = 400;
  const d = 3;
  const data = randomData(rng, n, d, 10);
  const tree = new KdTree(matrix(n, d, data));
  for (let t = 0; t < 40; t++) {
    const q = Array.from({ length: d }, () => rng.normal(0, 2));
    const all = Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += (data[i * d + k] - q[k]) ** 2;
      return Math.sqrt(s);
    });
    const sorted = all.slice().sort((a, b) => a - b);
    const k = 1 + (t % 10);
    const got = tree.nearest(q, k);
    assert.deepEqual(Array.from(got.distances), sorted.slice(0, k));
    for (let j = 0; j < k; j++) assert.equal(all[got.indices[j]], got.distances[j]);
  }
});

test("all-identical points make one leaf of any size", () => {
  const data = new Float64Array(3000).fill(4.5);
  const tree = new KdTree(matrix(1000, 3, data), { leafSize: 8 });
  assert.equal(tree.nodeCount, 1);
  assert.equal(tree.countWithin([4.5, 4.5, 4.5], 0), 1000);
  assert.equal(tree.countWithin([4.5, 4.5, 5.5], 0.999), 0);
});

test("KdTree: bad input", () => {
  assert.throws(() => new KdTree(matrix(0, 2)), /KdTree: the matrix is empty/);
  assert.throws(() => new KdTree(matrix(2, 2), { leafSize: 0 }), /leafSize/);
  const tree = new KdTree(matrix(2, 2));
  assert.throws(() => tree.within([1], 1), /query has 1 values, tree has d = 2/);
  assert.throws(() => tree.nearest([1, 1], 3), /k must be an integer in \[1, 2\]/);
});
