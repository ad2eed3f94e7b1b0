import assert from "node:assert/strict";
import { test } from "node:test";
import { fromRows, matrix, toRows } from "../../src/ml/matrix.ts";
import { quantileSorted, RobustScaler, StandardScaler } from "../../src/ml/scale.ts";

const close = (a: number, b: number, tol = 1e-12): void =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test("StandardScaler: column means and population standard deviations", () => {
  const m = fromRows([
    [1, 10, 5],
    [2, 20, 5],
    [3, 30, 5],
    [4, 40, 5],
  ]);
  const s = new StandardScaler().fit(m);
  assert.deepEqual(Array.from(s.center), [2.5, 25, 5]);
  close(s.scale[0], Math.sqrt(1.25));
  close(s.scale[1], Math.sqrt(125));
  assert.equal(s.scale[2], 1, "constant column -> scale 1");
  const t = s.transform(m);
  const col0 = toRows(t).map((r) => r[0]);
  const mean = col0.reduce((a, b) => a + b) / 4;
  const varPop = col0.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
  close(mean, 0);
  close(varPop, 1);
  assert.deepEqual(
    toRows(t).map((r) => r[2]),
    [0, 0, 0, 0],
  );
  close(s.transform(fromRows([[5, 0, 7]])).data[0], 2.5 / Math.sqrt(1.25));
  const back = s.inverseTransform(t);
  for (let i = 0; i < m.data.length; i++) close(back.data[i], m.data[i]);
});

test("StandardScaler: near-constant column (rounding noise only) gets scale 1", () => {
  const v = 0.1 + 0.2;
  const m = fromRows([[v], [0.3], [v], [0.3]]);
  const s = new StandardScaler().fit(m);
  assert.equal(s.scale[0], 1);
});

test("StandardScaler: NaN is ignored in fit and maps to 0 in transform", () => {
  const m = fromRows([
    [1, Number.NaN],
    [Number.NaN, Number.NaN],
    [3, Number.NaN],
  ]);
  const s = new StandardScaler().fit(m);
  assert.equal(s.center[0], 2);
  assert.equal(s.scale[0], 1);
  assert.equal(s.center[1], 0, "all-NaN column: center 0");
  assert.equal(s.scale[1], 1);
  assert.deepEqual(toRows(s.transform(m)), [
    [-1, 0],
    [0, 0],
    [1, 0],
  ]);
});

test("RobustScaler: median and interquartile range (linear interpolation)", () => {
  const m = fromRows([
    [1, 7],
    [2, 7],
    [3, 7],
    [4, 7],
    [100, 7],
  ]);
  const s = new RobustScaler().fit(m);
  assert.equal(s.center[0], 3);
  assert.equal(s.scale[0], 2); // q75 = 4, q25 = 2
  assert.equal(s.center[1], 7);
  assert.equal(s.scale[1], 1, "zero IQR -> scale 1");
  assert.deepEqual(
    toRows(s.transform(m)).map((r) => r[0]),
    [-1, -0.5, 0, 0.5, 48.5],
  );
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  const withNaN = new RobustScaler().fit(fromRows([[Number.NaN], [1], [2], [3]]));
  assert.equal(withNaN.center[0], 2);
});

test("scalers: bad input", () => {
  assert.throws(() => new StandardScaler().fit(matrix(0, 2)), /StandardScaler.fit: the matrix is empty/);
  assert.throws(() => new RobustScaler().fit(matrix(2, 0)), /no columns/);
  assert.throws(() => new StandardScaler().fit(fromRows([[Number.POSITIVE_INFINITY]])), /infinite/);
  assert.throws(() => new StandardScaler().transform(fromRows([[1]])), /call fit first/);
  const s = new StandardScaler().fit(fromRows([[1, 2]]));
  assert.throws(() => s.transform(fromRows([[1, 2, 3]])), /fitted on 2 columns, got 3/);
});
