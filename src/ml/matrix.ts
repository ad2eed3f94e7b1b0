/**
 * Dense row-major matrices on a Float64Array: row i, column j is `data[i * cols + j]`. Every ml/ function
 * takes and returns this shape; the helpers here build, view and validate it.
 */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** A rows x cols matrix over `data` (not copied), or zero-filled when `data` is omitted. */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new RangeError(`matrix: rows and cols must be non-negative integers, got ${rows} x ${cols}`);
  }
  const m = { data: data ?? new Float64Array(rows * cols), rows, cols };
  if (m.data.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${m.data.length} values, ${rows} x ${cols} needs ${rows * cols}`);
  }
  return m;
}

/** A matrix from an array of equally long rows (copied). */
export function fromRows(rows: readonly ArrayLike<number>[]): Matrix {
  const cols = rows.length === 0 ? 0 : rows[0].length;
  const data = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.length !== cols)
      throw new RangeError(`fromRows: row ${i} has ${r.length} values, row 0 has ${cols}`);
    for (let j = 0; j < cols; j++) data[i * cols + j] = r[j];
  }
  return { data, rows: rows.length, cols };
}

/** The rows as plain arrays (for tests and printing). */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** Row i as a view (no copy). */
export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function get(m: Matrix, i: number, j: number): number {
  return m.data[i * m.cols + j];
}

export function set(m: Matrix, i: number, j: number, v: number): void {
  m.data[i * m.cols + j] = v;
}

/** A new matrix holding the given rows, in the given order. */
export function selectRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const d = m.cols;
  const out = new Float64Array(indices.length * d);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    out.set(m.data.subarray(i * d, i * d + d), k * d);
  }
  return { data: out, rows: indices.length, cols: d };
}

/** Squared euclidean distance between row i of `a` and row j of `b`, both with d columns. */
export function sqDist(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  const ai = i * d;
  const bj = j * d;
  for (let k = 0; k < d; k++) {
    const t = a[ai + k] - b[bj + k];
    s += t * t;
  }
  return s;
}

/**
 * Throws a RangeError naming `what` unless `m` is a well-formed matrix with at least one row and one
 * column and (unless `allowNaN`) only finite values. Infinite values are always refused.
 */
export function checkMatrix(m: Matrix, what: string, opts: { allowNaN?: boolean } = {}): void {
  if (m === null || typeof m !== "object" || !(m.data instanceof Float64Array)) {
    throw new RangeError(`${what}: expected a Matrix { data: Float64Array, rows, cols }`);
  }
  if (!Number.isInteger(m.rows) || !Number.isInteger(m.cols) || m.rows < 0 || m.cols < 0) {
    throw new RangeError(`${what}: rows and cols must be non-negative integers, got ${m.rows} x ${m.cols}`);
  }
  if (m.data.length !== m.rows * m.cols) {
    throw new RangeError(
      `${what}: data has ${m.data.length} values, ${m.rows} x ${m.cols} needs ${m.rows * m.cols}`,
    );
  }
  if (m.rows === 0) throw new RangeError(`${what}: the matrix is empty (0 rows)`);
  if (m.cols === 0) throw new RangeError(`${what}: the matrix has no columns (d = 0)`);
  const a = m.data;
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (!Number.isFinite(v)) {
      if (Number.isNaN(v) && opts.allowNaN) continue;
      const i = Math.floor(k / m.cols);
      const kind = Number.isNaN(v) ? "NaN" : "an infinite value";
      throw new RangeError(`${what}: row ${i}, column ${k - i * m.cols} is ${kind}; scale or impute first`);
    }
  }
}

/** Throws a RangeError unless `labels` has one entry per row. */
export function checkLength(labels: ArrayLike<number>, n: number, what: string): void {
  if (labels.length !== n) throw new RangeError(`${what}: ${labels.length} labels for ${n} rows`);
}
