/**
 * Random forest classifier (Breiman 2001) grown on histograms: every feature is cut into at most 256
 * quantile bins once (forest-binning.ts), and each node finds its best gini split by one pass over its
 * rows per candidate feature plus one pass over the bins. Defaults follow scikit-learn's
 * RandomForestClassifier: 100 trees, bootstrap, sqrt(d) features per node, fully grown trees,
 * predict_proba as the mean of the trees' leaf class distributions.
 *
 * Deterministic: the same data, options and seed give the same forest, whatever the number of threads.
 * Trees grow in parallel over worker threads (forest-workers.ts). Saved as a versioned file
 * (forest-format.ts) with feature names and bin edges.
 */

import { binEdges, binMatrix, MAX_BINS } from "./forest-binning.ts";
import type { KernelForest, KernelTree, KernelTreeParams } from "./forest-kernel.ts";
import { buildTrees, defaultJobs, kernel, PredictPool } from "./forest-workers.ts";
import { checkLength, checkMatrix, type Matrix } from "./matrix.ts";

export interface ForestOptions {
  /** Trees, default 100. */
  trees?: number;
  /** Features tried per node: a count, a share of the features (0..1), "sqrt" (default), "log2" or "all". */
  maxFeatures?: number | "sqrt" | "log2" | "all";
  /** Default: unlimited. */
  maxDepth?: number;
  /** Default 2. */
  minSamplesSplit?: number;
  /** Minimum bootstrap-weighted samples per leaf, default 1. */
  minSamplesLeaf?: number;
  /** Default true. */
  bootstrap?: boolean;
  /** Bootstrap the same number of rows from every class (balanced random forest), default false. */
  balanced?: boolean;
  /** Bootstrap draws per tree as a share of the rows, default 1. */
  maxSamples?: number;
  /** Bins per feature, 2..256, default 256. */
  maxBins?: number;
  /** Default 0. */
  seed?: number;
  /** Threads, default the machine's parallelism. Results do not depend on it. */
  jobs?: number;
  /** Names of the columns (default f0, f1, ...). */
  featureNames?: string[];
}

/** The options a forest was grown with, as saved in its file. */
export interface ForestParams {
  trees: number;
  maxFeatures: number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  bootstrap: boolean;
  balanced: boolean;
  maxSamples: number;
  maxBins: number;
  seed: number;
}

export interface ForestParts {
  classes: number[];
  featureNames: string[];
  edges: Float64Array[];
  params: ForestParams;
  /** Node arrays of all trees (see KernelTree), bins as split thresholds. */
  feature: Int32Array;
  bin: Int32Array;
  right: Int32Array;
  value: Float64Array;
  roots: Int32Array;
  importances: Float64Array;
  training: { rows: number; classCounts: number[] };
  /** Application data saved with the model (e.g. how flow features were made). */
  meta: Record<string, unknown>;
}

function resolveMaxFeatures(v: ForestOptions["maxFeatures"], d: number): number {
  if (v === undefined || v === "sqrt") return Math.max(1, Math.floor(Math.sqrt(d)));
  if (v === "log2") return Math.max(1, Math.floor(Math.log2(d)));
  if (v === "all") return d;
  if (typeof v === "number" && v > 0 && v < 1) return Math.max(1, Math.floor(v * d));
  if (typeof v === "number" && Number.isInteger(v) && v >= 1) return Math.min(d, v);
  throw new RangeError(`maxFeatures must be "sqrt", "log2", "all", a share in (0, 1) or a count >= 1`);
}

function positiveInteger(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be an integer >= 1, got ${v}`);
  return v;
}

export class RandomForest {
  readonly classes: number[];
  readonly featureNames: string[];
  readonly edges: Float64Array[];
  readonly params: ForestParams;
  readonly importances: Float64Array;
  readonly training: { rows: number; classCounts: number[] };
  meta: Record<string, unknown>;
  /** Trees with raw-value thresholds, as prediction reads them. */
  readonly forest: KernelForest;
  /** Split bins (thresholds are edges[feature][bin]); kept for saving. */
  readonly bins: Int32Array;

  constructor(parts: ForestParts) {
    this.classes = parts.classes;
    this.featureNames = parts.featureNames;
    this.edges = parts.edges;
    this.params = parts.params;
    this.importances = parts.importances;
    this.training = parts.training;
    this.meta = parts.meta;
    this.bins = parts.bin;
    const threshold = new Float64Array(parts.feature.length);
    for (let i = 0; i < threshold.length; i++) {
      const f = parts.feature[i];
      if (f >= 0) threshold[i] = parts.edges[f][parts.bin[i]];
    }
    this.forest = {
      feature: parts.feature,
      threshold,
      right: parts.right,
      value: parts.value,
      roots: parts.roots,
      k: parts.classes.length,
    };
  }

  get trees(): number {
    return this.forest.roots.length;
  }

  get nodes(): number {
    return this.forest.feature.length;
  }

  /**
   * Grows a forest on the rows of x with class labels y (any numbers; every distinct value is a class,
   * at most 255). Rows must be finite.
   */
  static async fit(x: Matrix, y: ArrayLike<number>, opts: ForestOptions = {}): Promise<RandomForest> {
    checkMatrix(x, "RandomForest.fit");
    checkLength(y, x.rows, "RandomForest.fit");
    const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
    if (classes.some((c) => !Number.isFinite(c)))
      throw new RangeError("RandomForest.fit: labels must be finite");
    if (classes.length > 255)
      throw new RangeError(`RandomForest.fit: ${classes.length} classes, at most 255`);
    const featureNames = opts.featureNames ?? Array.from({ length: x.cols }, (_, j) => `f${j}`);
    if (featureNames.length !== x.cols) {
      throw new RangeError(`RandomForest.fit: ${featureNames.length} feature names for ${x.cols} columns`);
    }
    const maxDepth = opts.maxDepth ?? null;
    if (maxDepth !== null) positiveInteger(maxDepth, "maxDepth");
    const params: ForestParams = {
      trees: positiveInteger(opts.trees ?? 100, "trees"),
      maxFeatures: resolveMaxFeatures(opts.maxFeatures, x.cols),
      maxDepth,
      minSamplesSplit: Math.max(2, positiveInteger(opts.minSamplesSplit ?? 2, "minSamplesSplit")),
      minSamplesLeaf: positiveInteger(opts.minSamplesLeaf ?? 1, "minSamplesLeaf"),
      bootstrap: opts.bootstrap ?? true,
      balanced: opts.balanced ?? false,
      maxSamples: opts.maxSamples ?? 1,
      maxBins: opts.maxBins ?? MAX_BINS,
      seed: (opts.seed ?? 0) >>> 0,
    };
    if (!(params.maxSamples > 0 && params.maxSamples <= 1))
      throw new RangeError("maxSamples must be in (0, 1]");
    const classIndex = new Map(classes.map((c, i) => [c, i]));
    const yi = new Uint8Array(new SharedArrayBuffer(Math.max(1, x.rows)), 0, x.rows);
    const classCounts = new Array(classes.length).fill(0);
    for (let i = 0; i < x.rows; i++) {
      const c = classIndex.get(y[i]) as number;
      yi[i] = c;
      classCounts[c]++;
    }
    const edges = binEdges(x, { maxBins: params.maxBins, seed: params.seed });
    const binned = binMatrix(x, edges);
    const nBins = new Uint16Array(new SharedArrayBuffer(Math.max(2, x.cols * 2)), 0, x.cols);
    for (let f = 0; f < x.cols; f++) nBins[f] = edges[f].length + 1;
    const kp: KernelTreeParams = {
      maxFeatures: params.maxFeatures,
      maxDepth: params.maxDepth ?? 1 << 30,
      minSamplesSplit: params.minSamplesSplit,
      minSamplesLeaf: params.minSamplesLeaf,
      bootstrap: params.bootstrap,
      balanced: params.balanced,
      maxSamples: params.maxSamples,
      seed: params.seed,
    };
    const trees = await buildTrees(
      { binned, n: x.rows, d: x.cols, nBins, y: yi, k: classes.length },
      kp,
      params.trees,
      opts.jobs ?? defaultJobs(),
    );
    return new RandomForest({
      classes,
      featureNames,
      edges,
      params,
      ...joinTrees(trees, classes.length, x.cols),
      training: { rows: x.rows, classCounts },
      meta: {},
    });
  }

  private checkInput(x: Matrix, what: string): void {
    checkMatrix(x, what);
    if (x.cols !== this.featureNames.length) {
      throw new RangeError(`${what}: ${x.cols} columns, the model has ${this.featureNames.length} features`);
    }
  }

  /** Class probabilities (rows x classes, columns in `classes` order), on this thread. */
  predictProba(x: Matrix): Matrix {
    this.checkInput(x, "RandomForest.predictProba");
    const k = this.classes.length;
    const out = new Float64Array(x.rows * k);
    kernel.predictProba(this.forest, x.data, x.cols, 0, x.rows, out);
    return { data: out, rows: x.rows, cols: k };
  }

  /** The same over worker threads (a pool for one call; use `pool()` for many). */
  async predictProbaParallel(x: Matrix, jobs = defaultJobs()): Promise<Matrix> {
    const pool = this.pool(jobs);
    try {
      return await pool.predictProba(x);
    } finally {
      await pool.close();
    }
  }

  /** Worker threads holding this forest, for predicting many matrices. */
  pool(jobs = defaultJobs()): ForestPool {
    return new ForestPool(this, jobs);
  }

  /**
   * 1 for rows whose mean probability of class `label` is >= threshold, else 0: the same answers as
   * thresholding predictProba, faster (a row stops once the remaining trees cannot change its answer).
   */
  classify(x: Matrix, label: number, threshold: number): Uint8Array {
    this.checkInput(x, "RandomForest.classify");
    const out = new Uint8Array(x.rows);
    kernel.classify(this.forest, x.data, x.cols, 0, x.rows, this.column(label), threshold, out);
    return out;
  }

  /** The predict_proba column of a class label. */
  column(label: number): number {
    const c = this.classes.indexOf(label);
    if (c < 0) throw new RangeError(`the model has no class ${label} (classes: ${this.classes.join(", ")})`);
    return c;
  }

  /** The most probable class label of every row (ties: the smaller label). */
  predict(x: Matrix): Float64Array {
    return this.labelsOf(this.predictProba(x));
  }

  labelsOf(proba: Matrix): Float64Array {
    const k = proba.cols;
    const out = new Float64Array(proba.rows);
    for (let i = 0; i < proba.rows; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba.data[i * k + c] > proba.data[i * k + best]) best = c;
      out[i] = this.classes[best];
    }
    return out;
  }

  /** Everything a file needs to rebuild this forest. */
  parts(): ForestParts {
    return {
      classes: this.classes,
      featureNames: this.featureNames,
      edges: this.edges,
      params: this.params,
      feature: this.forest.feature,
      bin: this.bins,
      right: this.forest.right,
      value: this.forest.value,
      roots: this.forest.roots,
      importances: this.importances,
      training: this.training,
      meta: this.meta,
    };
  }
}

/** Prediction over worker threads for one forest (see PredictPool). */
export class ForestPool {
  private readonly inner: PredictPool;

  constructor(
    private readonly model: RandomForest,
    jobs: number,
  ) {
    this.inner = new PredictPool(model.forest, jobs);
  }

  private check(x: Matrix, what: string, finite: boolean): void {
    if (finite) checkMatrix(x, what);
    else if (x.data.length !== x.rows * x.cols)
      throw new RangeError(`${what}: data does not match rows x cols`);
    if (x.cols !== this.model.featureNames.length) {
      throw new RangeError(
        `${what}: ${x.cols} columns, the model has ${this.model.featureNames.length} features`,
      );
    }
  }

  /** `checkFinite: false` skips the scan for NaN and infinities (for callers that build finite rows). */
  async predictProba(x: Matrix, checkFinite = true): Promise<Matrix> {
    this.check(x, "RandomForest.predictProba", checkFinite);
    const k = this.model.classes.length;
    const out = new Float64Array(x.rows * k);
    await this.inner.predict(x.data, x.rows, x.cols, out);
    return { data: out, rows: x.rows, cols: k };
  }

  /** See RandomForest.classify. */
  async classify(x: Matrix, label: number, threshold: number, checkFinite = true): Promise<Uint8Array> {
    this.check(x, "RandomForest.classify", checkFinite);
    const out = new Uint8Array(x.rows);
    await this.inner.classify(x.data, x.rows, x.cols, this.model.column(label), threshold, out);
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Concatenates trees into flat arrays; right-child indices become global. */
function joinTrees(
  trees: KernelTree[],
  k: number,
  d: number,
): Pick<ForestParts, "feature" | "bin" | "right" | "value" | "roots" | "importances"> {
  let total = 0;
  for (const t of trees) total += t.feature.length;
  const feature = new Int32Array(total);
  const bin = new Int32Array(total);
  const right = new Int32Array(total);
  const value = new Float64Array(total * k);
  const roots = new Int32Array(trees.length);
  const importances = new Float64Array(d);
  let at = 0;
  trees.forEach((t, i) => {
    roots[i] = at;
    feature.set(t.feature, at);
    bin.set(t.bin, at);
    for (let j = 0; j < t.right.length; j++) right[at + j] = t.right[j] >= 0 ? t.right[j] + at : -1;
    value.set(t.value, at * k);
    // scikit-learn's feature_importances_: each tree's decrease normalised, then averaged
    let sum = 0;
    for (let f = 0; f < d; f++) sum += t.importance[f];
    if (sum > 0) for (let f = 0; f < d; f++) importances[f] += t.importance[f] / sum / trees.length;
    at += t.feature.length;
  });
  return { feature, bin, right, value, roots, importances };
}
