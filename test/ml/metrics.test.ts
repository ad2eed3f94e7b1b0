import assert from "node:assert/strict";
import { test } from "node:test";
import {
  adjustedRandIndex,
  confusion,
  contingency,
  normalizedMutualInfo,
  precisionRecallF1,
  rocAuc,
} from "../../src/ml/metrics.ts";

const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-12, `${a} != ${b}`);

test("confusion counts, precision, recall, F1", () => {
  const truth = [1, 1, 1, 0, 0, 0, 0, 1];
  const pred = [1, 0, 1, 1, 0, 0, 0, 1];
  const c = confusion(truth, pred);
  assert.deepEqual(c, { tp: 3, fp: 1, fn: 1, tn: 3 });
  const s = precisionRecallF1(c);
  close(s.precision, 0.75);
  close(s.recall, 0.75);
  close(s.f1, 0.75);
  close(s.accuracy, 0.75);
  assert.deepEqual(confusion([true, false], [true, true]), { tp: 1, fp: 1, fn: 0, tn: 0 });
  assert.deepEqual(confusion([2, 1], [2, 2], 2), { tp: 1, fp: 1, fn: 0, tn: 0 });
  const none = precisionRecallF1({ tp: 0, fp: 0, fn: 2, tn: 3 });
  assert.deepEqual([none.precision, none.recall, none.f1], [0, 0, 0]);
  assert.throws(() => confusion([1], [1, 0]), /confusion: 1 labels against 2/);
});

test("ROC AUC with ties (scikit-learn's documented example)", () => {
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  close(rocAuc([0.5, 0.5], [0, 1]), 0.5);
  close(rocAuc([3, 2, 1], [1, 0, 0]), 1);
  assert.throws(() => rocAuc([1, 2], [1, 1]), /both positive and negative/);
});

test("contingency table", () => {
  const t = contingency([0, 0, 1, 1, 1], [5, 6, 6, 6, 5]);
  assert.deepEqual(t.rowLabels, [0, 1]);
  assert.deepEqual(t.colLabels, [5, 6]);
  assert.deepEqual(Array.from(t.counts), [1, 1, 1, 2]);
});

test("adjusted Rand index on hand-computed cases", () => {
  close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 1]), 1);
  close(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  close(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2]), 4 / 7); // scikit-learn: 0.57
  close(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5);
  close(adjustedRandIndex([0, 0, 0, 0], [1, 1, 1, 1]), 1);
  close(adjustedRandIndex([0, 1, 2, 3], [0, 1, 2, 3]), 1);
  close(adjustedRandIndex([0, 0, 0, 0], [0, 1, 2, 3]), 0);
  close(adjustedRandIndex([-1, -1, 0, 0, 1], [3, 3, 4, 4, 5]), 1);
  assert.throws(() => adjustedRandIndex([0], [0, 1]), /1 labels against 2/);
});

test("normalized mutual information on hand-computed cases", () => {
  close(normalizedMutualInfo([0, 0, 1, 1], [1, 1, 0, 0]), 1);
  // b refines a: I = H(a) = ln 2, H(b) = 1.5 ln 2 -> ln 2 / (1.25 ln 2) = 0.8.
  close(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 1, 2]), 0.8);
  close(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  close(normalizedMutualInfo([0, 0, 0], [0, 0, 0]), 1);
  close(normalizedMutualInfo([0, 0, 0, 0], [0, 1, 2, 3]), 0);
});
