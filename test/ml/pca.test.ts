import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { fromRows, matrix } from "../../src/ml/matrix.ts";
import { pca, symmetricEigen } from "../../src/ml/pca.ts";

test("symmetricEigen on known matrices", () => {
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  const sorted = Array.from(values).sort((a, b) => b - a);
  assert.ok(Math.abs(sorted[0] - 3) < 1e-12 && Math.abs(sorted[1] - 1) < 1e-12);
  const i3 = values[0] > values[1] ? 0 : 1;
  assert.ok(Math.abs(Math.abs(vectors[i3]) - Math.SQRT1_2) < 1e-12);
  // A x = lambda x for a random symmetric 6 x 6.
  const rng = new Rng(1);
  const d = 6;
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) a[i * d + j] = a[j * d + i] = rng.normal();
  const e = symmetricEigen(a, d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let ax = 0;
      for (let j = 0; j < d; j++) ax += a[i * d + j] * e.vectors[j * d + c];
      assert.ok(Math.abs(ax - e.values[c] * e.vectors[i * d + c]) < 1e-10);
    }
  }
});

test("recovers the axes and variance ratios of a stretched, rotated Gaussian", () => {
  const rng = new Rng(2);
  const n = 20_000;
  const angle = Math.PI / 6;
  const u = [Math.cos(angle), Math.sin(angle)];
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const a = rng.normal(0, 3); // sd 3 along u, 1 across: variance ratio 9 / 10
    const b = rng.normal(0, 1);
    data[i * 2] = 5 + a * u[0] - b * u[1];
    data[i * 2 + 1] = -2 + a * u[1] + b * u[0];
  }
  const p = pca(matrix(n, 2, data), 2);
  const c = p.components.data;
  assert.ok(Math.abs(c[0] * u[0] + c[1] * u[1]) > 0.999, "first axis along u");
  assert.ok(c[0] > 0 && Math.abs(c[0]) >= Math.abs(c[1]), "largest loading positive");
  assert.ok(Math.abs(c[0] * c[2] + c[1] * c[3]) < 1e-12, "orthogonal");
  assert.ok(Math.abs(p.explainedVarianceRatio[0] - 0.9) < 0.01);
  assert.ok(Math.abs(p.explainedVarianceRatio[0] + p.explainedVarianceRatio[1] - 1) < 1e-12);
  assert.ok(Math.abs(p.explainedVariance[0] - 9) < 0.3);
  assert.ok(Math.abs(p.mean[0] - 5) < 0.1 && Math.abs(p.mean[1] + 2) < 0.1);
  const t = p.transform(
    fromRows([
      [p.mean[0], p.mean[1]],
      [p.mean[0] + u[0], p.mean[1] + u[1]],
    ]),
  );
  assert.ok(Math.abs(t.data[0]) < 1e-12 && Math.abs(t.data[1]) < 1e-12);
  assert.ok(Math.abs(t.data[2] - 1) < 0.001);
});

test("3 components of 5-d data with known variances; sign convention", () => {
  const rng = new Rng(3);
  const n = 20_000;
  const sds = [1, 5, 0.5, 3, 0.1];
  const data = new Float64Array(n * 5);
  for (let i = 0; i < n; i++) for (let j = 0; j < 5; j++) data[i * 5 + j] = rng.normal(0, sds[j]);
  const p = pca(matrix(n, 5, data), 3);
  assert.equal(p.components.rows, 3);
  const total = sds.reduce((a, s) => a + s * s, 0);
  const expectAxis = [1, 3, 0];
  for (let c = 0; c < 3; c++) {
    const axis = expectAxis[c];
    assert.ok(p.components.data[c * 5 + axis] > 0.999, `component ${c} is +e${axis}`);
    assert.ok(Math.abs(p.explainedVarianceRatio[c] - sds[axis] ** 2 / total) < 0.01);
  }
  // Flipping the data flips nothing: the largest loading stays positive.
  const flipped = pca(
    matrix(
      n,
      5,
      data.map((v) => -v),
    ),
    3,
  );
  for (let i = 0; i < 15; i++) assert.ok(Math.abs(flipped.components.data[i] - p.components.data[i]) < 1e-9);
  assert.equal(p.transform(matrix(n, 5, data)).cols, 3);
});

test("pca: bad input gives clear RangeErrors", () => {
  assert.throws(() => pca(matrix(0, 3)), /pca: the matrix is empty/);
  assert.throws(() => pca(matrix(3, 0)), /no columns/);
  assert.throws(() => pca(fromRows([[1, 2]])), /at least 2 rows/);
  assert.throws(
    () =>
      pca(
        fromRows([
          [1, 2],
          [3, 4],
        ]),
        3,
      ),
    /nComponents must be an integer in \[1, 2\], got 3/,
  );
  assert.throws(
    () =>
      pca(
        fromRows([
          [1, Number.NaN],
          [3, 4],
        ]),
      ),
    /NaN/,
  );
  const p = pca(
    fromRows([
      [1, 2],
      [3, 5],
      [0, 1],
    ]),
    1,
  );
  assert.throws(() => p.transform(fromRows([[1, 2, 3]])), /fitted on 2 columns, got 3/);
  const flat = pca(
    fromRows([
      [1, 1],
      [1, 1],
    ]),
    2,
  );
  assert.deepEqual(Array.from(flat.explainedVarianceRatio), [0, 0]);
});
