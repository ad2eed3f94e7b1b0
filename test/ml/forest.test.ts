import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { RandomForest } from "../../src/ml/forest.ts";
import { binEdges, binMatrix, binOf, edgesOfSorted } from "../../src/ml/forest-binning.ts";
import { decodeForest, encodeForest } from "../../src/ml/forest-format.ts";
import { fromRows, type Matrix } from "../../src/ml/matrix.ts";

const FIXED = new Date("2026-01-01T00:00:00Z");

/** Two Gaussian classes in d dimensions, the class means `gap` apart along every axis. */
function twoClasses(seed: number, n: number, d: number, gap: number): { x: Matrix; y: Float64Array } {
  const rng = new Rng(seed);
  const data = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let j = 0; j < d; j++) data[i * d + j] = rng.normal(y[i] * gap, 1);
  }
  return { x: { data, rows: n, cols: d }, y };
}

function accuracy(pred: ArrayLike<number>, y: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

describe("binning", () => {
  test("few distinct values: one edge halfway between each pair (exact splits)", () => {
    const e = edgesOfSorted(Float64Array.from([0, 0, 1, 1, 1, 3]), 256);
    assert.deepEqual(Array.from(e), [0.5, 2]);
    assert.equal(binOf(e, 0), 0);
    assert.equal(binOf(e, 0.5), 0, "a value on an edge goes left (value <= edge)");
    assert.equal(binOf(e, 1), 1);
    assert.equal(binOf(e, 2.5), 2);
    assert.equal(binOf(e, 99), 2);
  });

  test("many distinct values: at most maxBins - 1 increasing edges at quantiles", () => {
    const v = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const e = edgesOfSorted(v, 256);
    assert.equal(e.length, 255);
    for (let i = 1; i < e.length; i++) assert.ok(e[i] > e[i - 1]);
    // roughly uniform bins
    assert.ok(Math.abs(e[127] - 5000) < 60);
  });

  test("long runs of one value get a single edge after the run", () => {
    const v = new Float64Array(1000);
    for (let i = 900; i < 1000; i++) v[i] = i;
    const e = edgesOfSorted(v, 16);
    assert.equal(e[0], 450, "the run of 900 zeros ends at the first edge");
    for (let i = 1; i < e.length; i++) assert.ok(e[i] > e[i - 1]);
  });

  test("binMatrix is feature-major, in shared memory", () => {
    const m = fromRows([
      [1, 10],
      [2, 20],
      [3, 20],
    ]);
    const edges = binEdges(m);
    const b = binMatrix(m, edges);
    assert.ok(b.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Array.from(b), [0, 1, 2, 0, 1, 1]);
  });
});

describe("random forest", () => {
  test("a one-split problem: the single tree splits halfway and its leaves are pure", async () => {
    const x = fromRows([[0], [1], [2], [3]]);
    const f = await RandomForest.fit(x, [0, 0, 1, 1], { trees: 1, bootstrap: false, jobs: 1 });
    assert.equal(f.nodes, 3);
    assert.equal(f.forest.feature[0], 0);
    assert.equal(f.forest.threshold[0], 1.5);
    const p = f.predictProba(fromRows([[1.5], [1.6], [-5], [9]]));
    assert.deepEqual(Array.from(p.data), [1, 0, 0, 1, 1, 0, 0, 1]);
  });

  test("separable data: perfect accuracy on training and fresh data", async () => {
    const train = twoClasses(1, 600, 5, 8);
    const test2 = twoClasses(2, 400, 5, 8);
    const f = await RandomForest.fit(train.x, train.y, { seed: 3, jobs: 1, trees: 30 });
    assert.equal(accuracy(f.predict(train.x), train.y), 1);
    assert.equal(accuracy(f.predict(test2.x), test2.y), 1);
    assert.deepEqual(f.classes, [0, 1]);
  });

  test("noisy data: better than chance, probabilities sum to 1", async () => {
    const train = twoClasses(3, 2000, 4, 0.8);
    const held = twoClasses(4, 1000, 4, 0.8);
    const f = await RandomForest.fit(train.x, train.y, { seed: 1, jobs: 1, trees: 50 });
    assert.ok(accuracy(f.predict(held.x), held.y) > 0.7, "the Bayes rate here is 0.79");
    const p = f.predictProba(held.x);
    for (let i = 0; i < p.rows; i++) assert.ok(Math.abs(p.data[2 * i] + p.data[2 * i + 1] - 1) < 1e-12);
    const imp = Array.from(f.importances);
    assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  });

  test("deterministic with a seed; another seed grows another forest", async () => {
    const { x, y } = twoClasses(5, 800, 6, 1);
    const a = encodeForest(await RandomForest.fit(x, y, { seed: 42, jobs: 1, trees: 20 }), FIXED);
    const b = encodeForest(await RandomForest.fit(x, y, { seed: 42, jobs: 1, trees: 20 }), FIXED);
    const c = encodeForest(await RandomForest.fit(x, y, { seed: 43, jobs: 1, trees: 20 }), FIXED);
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });

  test("worker threads grow exactly the trees the main thread grows alone", async () => {
    const { x, y } = twoClasses(6, 6000, 8, 0.5);
    const one = await RandomForest.fit(x, y, { seed: 7, jobs: 1, trees: 24 });
    const two = await RandomForest.fit(x, y, { seed: 7, jobs: 2, trees: 24 });
    const three = await RandomForest.fit(x, y, { seed: 7, jobs: 3, trees: 24 });
    assert.ok(encodeForest(one, FIXED).equals(encodeForest(two, FIXED)));
    assert.ok(encodeForest(one, FIXED).equals(encodeForest(three, FIXED)));
    // prediction over workers equals prediction on this thread
    const single = one.predictProba(x);
    const pooled = await one.predictProbaParallel(x, 2);
    assert.deepEqual(pooled.data, single.data);
  });

  test("classify gives exactly the thresholded probabilities", async () => {
    const { x, y } = twoClasses(8, 3000, 5, 0.6);
    const f = await RandomForest.fit(x, y, { seed: 2, jobs: 1, trees: 40 });
    const p = f.predictProba(x);
    for (const thr of [0.5, 0.3, 0.9, 0.55]) {
      const c = f.classify(x, 1, thr);
      for (let i = 0; i < x.rows; i++) assert.equal(c[i], p.data[2 * i + 1] >= thr ? 1 : 0);
      const pool = f.pool(2);
      assert.deepEqual(await pool.classify(x, 1, thr), c);
      await pool.close();
    }
  });

  test("three classes, arbitrary label values", async () => {
    const rng = new Rng(9);
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 600; i++) {
      const c = i % 3;
      rows.push([rng.normal(c * 10, 1), rng.normal(0, 1)]);
      y.push([-1, 5, 7][c]);
    }
    const f = await RandomForest.fit(fromRows(rows), y, { seed: 1, jobs: 1, trees: 20 });
    assert.deepEqual(f.classes, [-1, 5, 7]);
    assert.equal(accuracy(f.predict(fromRows(rows)), y), 1);
    assert.equal(f.predictProba(fromRows(rows)).cols, 3);
  });

  test("balanced bootstrap finds a rare class the plain bootstrap misses more often", async () => {
    const rng = new Rng(11);
    const n = 4000;
    const data = new Float64Array(n * 2);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 50 === 0 ? 1 : 0;
      data[2 * i] = rng.normal(y[i] * 1.5, 1);
      data[2 * i + 1] = rng.normal(0, 1);
    }
    const x = { data, rows: n, cols: 2 };
    const plain = await RandomForest.fit(x, y, { seed: 1, jobs: 1, trees: 30, maxDepth: 4 });
    const balanced = await RandomForest.fit(x, y, {
      seed: 1,
      jobs: 1,
      trees: 30,
      maxDepth: 4,
      balanced: true,
    });
    const hits = (f: RandomForest) => {
      const p = f.predict(x);
      let k = 0;
      for (let i = 0; i < n; i++) if (y[i] === 1 && p[i] === 1) k++;
      return k;
    };
    assert.ok(hits(balanced) > hits(plain), `${hits(balanced)} vs ${hits(plain)}`);
  });

  test("maxDepth limits the trees", async () => {
    const { x, y } = twoClasses(12, 1000, 3, 0.3);
    const f = await RandomForest.fit(x, y, { seed: 1, jobs: 1, trees: 5, maxDepth: 2 });
    assert.ok(f.nodes <= 5 * 7);
  });

  test("bad input is refused with a clear message", async () => {
    await assert.rejects(RandomForest.fit(fromRows([[1], [Number.NaN]]), [0, 1]), /row 1, column 0 is NaN/);
    await assert.rejects(RandomForest.fit(fromRows([[1], [2]]), [0]), /1 labels for 2 rows/);
    await assert.rejects(RandomForest.fit(fromRows([[1], [2]]), [0, 1], { trees: 0 }), /trees must be/);
    const f = await RandomForest.fit(fromRows([[1], [2]]), [0, 1], { trees: 2, jobs: 1 });
    assert.throws(() => f.predictProba(fromRows([[1, 2]])), /2 columns, the model has 1 features/);
  });
});

describe("model file", () => {
  test("save and load: identical predictions, names, edges and meta", async () => {
    const { x, y } = twoClasses(13, 1500, 4, 0.7);
    const f = await RandomForest.fit(x, y, {
      seed: 5,
      jobs: 1,
      trees: 25,
      featureNames: ["a", "b", "c", "d"],
    });
    f.meta = { note: "kept" };
    const g = decodeForest(encodeForest(f));
    assert.deepEqual(g.featureNames, ["a", "b", "c", "d"]);
    assert.deepEqual(g.edges, f.edges);
    assert.deepEqual(g.meta, { note: "kept" });
    assert.deepEqual(g.params, f.params);
    assert.deepEqual(g.predictProba(x).data, f.predictProba(x).data);
    const text = encodeForest(f).subarray(0, 200).toString("latin1");
    assert.ok(text.startsWith("botscope-forest 1\n{"));
  });

  test("bad model files give clear errors", async () => {
    const f = await RandomForest.fit(fromRows([[0], [1], [2], [3]]), [0, 0, 1, 1], { trees: 3, jobs: 1 });
    const good = encodeForest(f);
    const nl = good.indexOf(10, good.indexOf(10) + 1);
    const header = JSON.parse(good.subarray(good.indexOf(10) + 1, nl).toString());
    const payload = good.subarray(nl + 1);
    const withHeader = (h: unknown, body = payload) =>
      Buffer.concat([Buffer.from(`botscope-forest 1\n${JSON.stringify(h)}\n`), body]);

    assert.throws(
      () => decodeForest(Buffer.from("hello world\n"), "m.forest"),
      /m.forest: not a botscope forest model/,
    );
    assert.throws(() => decodeForest(Buffer.from("botscope-forest 9\n{}\n"), "m"), /version 9 is newer/);
    assert.throws(() => decodeForest(Buffer.from("botscope-forest 1\n{"), "m"), /truncated/);
    assert.throws(() => decodeForest(Buffer.from("botscope-forest 1\n{oops\n"), "m"), /not valid JSON/);
    assert.throws(() => decodeForest(good.subarray(0, good.length - 3), "m"), /corrupted or truncated/);
    assert.throws(() => decodeForest(withHeader({ ...header, classes: undefined }), "m"), /no "classes"/);
    // a damaged node array with a matching checksum: caught by the structure check
    const body = Buffer.from(payload);
    body.writeInt32LE(1 << 20, header.arrays.right.offset);
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256").update(body).digest("hex");
    assert.throws(() => decodeForest(withHeader({ ...header, sha256 }, body), "m"), /children out of range/);
  });
});
