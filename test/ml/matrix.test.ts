import assert from "node:assert/strict";
import { test } from "node:test";
import {
  checkMatrix,
  fromRows,
  get,
  matrix,
  row,
  selectRows,
  set,
  sqDist,
  toRows,
} from "../../src/ml/matrix.ts";

test("fromRows / toRows / row / get / set / selectRows", () => {
  const m = fromRows([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(m.rows, 2);
  assert.equal(m.cols, 3);
  assert.deepEqual(Array.from(row(m, 1)), [4, 5, 6]);
  assert.equal(get(m, 1, 2), 6);
  set(m, 0, 0, 9);
  assert.deepEqual(toRows(selectRows(m, [1, 0, 1])), [
    [4, 5, 6],
    [9, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(sqDist(m.data, 0, m.data, 1, 3), 25 + 9 + 9);
});

test("matrix() checks the shape against the data", () => {
  assert.equal(matrix(2, 2).data.length, 4);
  assert.throws(() => matrix(2, 2, new Float64Array(3)), /3 values, 2 x 2 needs 4/);
  assert.throws(() => matrix(-1, 2), RangeError);
  assert.throws(() => fromRows([[1, 2], [3]]), /row 1 has 1 values/);
});

test("checkMatrix: empty, no columns, NaN, infinity give clear RangeErrors", () => {
  assert.throws(() => checkMatrix(matrix(0, 3), "f"), {
    name: "RangeError",
    message: "f: the matrix is empty (0 rows)",
  });
  assert.throws(() => checkMatrix(matrix(3, 0), "f"), /f: the matrix has no columns \(d = 0\)/);
  const m = fromRows([
    [1, 2],
    [3, Number.NaN],
  ]);
  assert.throws(() => checkMatrix(m, "f"), /f: row 1, column 1 is NaN/);
  checkMatrix(m, "f", { allowNaN: true });
  m.data[3] = Number.POSITIVE_INFINITY;
  assert.throws(() => checkMatrix(m, "f", { allowNaN: true }), /row 1, column 1 is an infinite value/);
  assert.throws(() => checkMatrix({ data: new Float64Array(3), rows: 2, cols: 2 }, "f"), /3 values/);
});
