/**
 * Evaluation: binary confusion counts with precision, recall and F1; ROC AUC of scores; and, for
 * clusterings, the contingency table, adjusted Rand index (Hubert & Arabie 1985) and normalized mutual
 * information (arithmetic-mean normalisation, scikit-learn's default). Labels are any numbers; for the
 * clustering scores every distinct value is a cluster (noise -1 included). Results agree with
 * scikit-learn, including its conventions for degenerate cases (noted per function).
 */

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Counts for binary labels: a label equal to `positive` (default 1 / true) is positive. */
export function confusion(
  truth: ArrayLike<number | boolean>,
  predicted: ArrayLike<number | boolean>,
  positive: number | boolean = 1,
): Confusion {
  sameLength(truth, predicted, "confusion");
  const target = Number(positive);
  const pos = (v: number | boolean): boolean => Number(v) === target;
  const c = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < truth.length; i++) {
    const t = pos(truth[i]);
    const p = pos(predicted[i]);
    if (t && p) c.tp++;
    else if (p) c.fp++;
    else if (t) c.fn++;
    else c.tn++;
  }
  return c;
}

/** Precision tp/(tp+fp), recall tp/(tp+fn), F1 their harmonic mean; 0 where a denominator is 0. */
export function precisionRecallF1(c: Confusion): {
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
} {
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const total = c.tp + c.fp + c.fn + c.tn;
  const accuracy = total > 0 ? (c.tp + c.tn) / total : 0;
  return { precision, recall, f1, accuracy };
}

/**
 * Area under the ROC curve of `scores` (higher = more positive) against binary `truth` (1/true positive):
 * the probability that a random positive outscores a random negative, ties counting one half.
 */
export function rocAuc(scores: ArrayLike<number>, truth: ArrayLike<number | boolean>): number {
  sameLength(scores, truth, "rocAuc");
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (Number(truth[i]) === 1) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError("rocAuc: needs both positive and negative labels");
  // Mann-Whitney U with mid-ranks for ties.
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (Number(truth[order[k]]) === 1) rankSum += mid;
    i = j + 1;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface Contingency {
  /** Distinct labels of the first labelling (table rows), in order of first appearance. */
  rowLabels: number[];
  /** Distinct labels of the second labelling (table columns). */
  colLabels: number[];
  /** rowLabels.length x colLabels.length counts, row-major. */
  counts: Float64Array;
}

/** Rows: labels of `a`; columns: labels of `b`; cell: how many items carry both. */
export function contingency(a: ArrayLike<number>, b: ArrayLike<number>): Contingency {
  sameLength(a, b, "contingency");
  const ra = relabel(a);
  const rb = relabel(b);
  const R = ra.labels.length;
  const C = rb.labels.length;
  const counts = new Float64Array(R * C);
  for (let i = 0; i < a.length; i++) counts[ra.ids[i] * C + rb.ids[i]]++;
  return { rowLabels: ra.labels, colLabels: rb.labels, counts };
}

/**
 * Adjusted Rand index: pair agreement corrected for chance; 1 for identical partitions (up to renaming),
 * about 0 for independent ones, possibly negative. Two single-cluster labellings (or two all-singleton
 * ones) score 1, as in scikit-learn.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { counts, rowLabels, colLabels } = contingency(a, b);
  const n = a.length;
  const C = colLabels.length;
  const pairs = (x: number): number => (x * (x - 1)) / 2;
  let sumCells = 0;
  const rowSums = new Float64Array(rowLabels.length);
  const colSums = new Float64Array(C);
  for (let r = 0; r < rowLabels.length; r++) {
    for (let c = 0; c < C; c++) {
      const v = counts[r * C + c];
      sumCells += pairs(v);
      rowSums[r] += v;
      colSums[c] += v;
    }
  }
  let sumRows = 0;
  let sumCols = 0;
  for (const v of rowSums) sumRows += pairs(v);
  for (const v of colSums) sumCols += pairs(v);
  const total = pairs(n);
  const expected = total > 0 ? (sumRows * sumCols) / total : 0;
  const max = (sumRows + sumCols) / 2;
  if (max === expected) return 1;
  return (sumCells - expected) / (max - expected);
}

/**
 * Normalized mutual information: I(a; b) / ((H(a) + H(b)) / 2), natural logarithms; 1 for identical
 * partitions, 0 for independent ones. Two single-cluster labellings score 1, as in scikit-learn.
 */
export function normalizedMutualInfo(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { counts, rowLabels, colLabels } = contingency(a, b);
  const n = a.length;
  const R = rowLabels.length;
  const C = colLabels.length;
  if ((R === 1 && C === 1) || n === 0) return 1;
  const rowSums = new Float64Array(R);
  const colSums = new Float64Array(C);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      rowSums[r] += counts[r * C + c];
      colSums[c] += counts[r * C + c];
    }
  }
  let mi = 0;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = counts[r * C + c];
      if (v > 0) mi += (v / n) * Math.log((n * v) / (rowSums[r] * colSums[c]));
    }
  }
  const entropy = (sums: Float64Array): number => {
    let h = 0;
    for (const v of sums) if (v > 0) h -= (v / n) * Math.log(v / n);
    return h;
  };
  const norm = (entropy(rowSums) + entropy(colSums)) / 2;
  if (norm <= 0) return 1;
  return Math.max(0, mi) / norm;
}

function relabel(x: ArrayLike<number>): { labels: number[]; ids: Int32Array } {
  const map = new Map<number, number>();
  const ids = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let id = map.get(x[i]);
    if (id === undefined) {
      id = map.size;
      map.set(x[i], id);
    }
    ids[i] = id;
  }
  return { labels: [...map.keys()], ids };
}

function sameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} labels against ${b.length}`);
}
