/**
 * The random forest's compute kernel: growing one histogram-based CART tree (gini, bootstrap or balanced
 * bootstrap, a random subset of features per node) and predicting class probabilities with a flat forest.
 *
 * `forestKernel` is self-contained: its body references nothing outside itself (no imports, no module
 * constants), so its source text (Function.prototype.toString) runs unchanged in a worker thread without
 * a TypeScript loader. The main thread calls the very same function, so a tree is the same whether a
 * worker or the main thread grew it: every tree draws from its own generator seeded by (seed, tree index).
 */

/** The training data every tree reads: bins feature-major (`binned[f * n + i]`). */
export interface KernelData {
  binned: Uint8Array;
  n: number;
  d: number;
  /** Bins per feature (edges + 1), at most 256. */
  nBins: Uint16Array;
  /** Class index per row, 0..k-1. */
  y: Uint8Array;
  k: number;
}

export interface KernelTreeParams {
  /** Features tried per node (at least this many non-constant ones when there are). */
  maxFeatures: number;
  maxDepth: number;
  minSamplesSplit: number;
  /** Minimum (bootstrap-weighted) samples on each side of a split. */
  minSamplesLeaf: number;
  bootstrap: boolean;
  /** Bootstrap with the same number of draws from every class. */
  balanced: boolean;
  /** Draws per tree as a share of the rows (bootstrap only). */
  maxSamples: number;
  seed: number;
}

/**
 * One tree in preorder: the left child of node i is i + 1, the right child `right[i]`. Leaves have
 * feature -1 and hold class probabilities in `value[i * k .. i * k + k)`. Split: bin <= `bin[i]` goes left.
 */
export interface KernelTree {
  feature: Int32Array;
  bin: Int32Array;
  right: Int32Array;
  value: Float64Array;
  /** Weighted gini decrease per feature (unnormalised). */
  importance: Float64Array;
}

/** All trees in one set of arrays: tree t starts at node `roots[t]`; thresholds are feature values. */
export interface KernelForest {
  feature: Int32Array;
  threshold: Float64Array;
  right: Int32Array;
  value: Float64Array;
  roots: Int32Array;
  k: number;
}

export interface Kernel {
  buildTree(data: KernelData, params: KernelTreeParams, treeIndex: number): KernelTree;
  /**
   * The mean class probabilities of rows [from, to) of row-major `x` (cols wide) into `out[i * k + c]`.
   */
  predictProba(
    forest: KernelForest,
    x: Float64Array,
    cols: number,
    from: number,
    to: number,
    out: Float64Array,
  ): void;
  /** 1 where the mean probability of class `column` is >= threshold, else 0, for rows [from, to). */
  classify(
    forest: KernelForest,
    x: Float64Array,
    cols: number,
    from: number,
    to: number,
    column: number,
    threshold: number,
    out: Uint8Array,
  ): void;
}

export function forestKernel(): Kernel {
  /** sfc32 seeded through splitmix32, from (seed, tree index). */
  function makeRng(seed: number, stream: number): () => number {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) | 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    let a = next();
    let b = next();
    let c = next();
    let d = next();
    const u32 = (): number => {
      const t = (((a + b) | 0) + d) | 0;
      d = (d + 1) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      c = (c + t) | 0;
      return t >>> 0;
    };
    for (let i = 0; i < 12; i++) u32();
    return u32;
  }

  /** Integer in [0, n) without modulo bias worth mentioning (n < 2^32). */
  function below(u32: () => number, n: number): number {
    return Math.floor((u32() / 4294967296) * n);
  }

  function buildTree(data: KernelData, p: KernelTreeParams, treeIndex: number): KernelTree {
    const { binned, n, d, nBins, y, k } = data;
    const u32 = makeRng(p.seed, treeIndex);

    // Sample weights: bootstrap counts (or 1 for every row).
    const w = new Float64Array(n);
    if (!p.bootstrap) {
      w.fill(1);
    } else if (p.balanced) {
      const byClass: Int32Array[] = [];
      const sizes = new Int32Array(k);
      for (let i = 0; i < n; i++) sizes[y[i]]++;
      for (let c = 0; c < k; c++) byClass.push(new Int32Array(sizes[c]));
      const fill = new Int32Array(k);
      for (let i = 0; i < n; i++) byClass[y[i]][fill[y[i]]++] = i;
      let present = 0;
      for (let c = 0; c < k; c++) if (sizes[c] > 0) present++;
      const draws = Math.max(1, Math.round(n * p.maxSamples));
      const per = Math.floor(draws / present);
      let extra = draws - per * present;
      for (let c = 0; c < k; c++) {
        if (sizes[c] === 0) continue;
        let m = per;
        if (extra > 0) {
          m++;
          extra--;
        }
        const rows = byClass[c];
        for (let j = 0; j < m; j++) w[rows[below(u32, rows.length)]]++;
      }
    } else {
      const draws = Math.max(1, Math.round(n * p.maxSamples));
      for (let j = 0; j < draws; j++) w[below(u32, n)]++;
    }
    let m = 0;
    for (let i = 0; i < n; i++) if (w[i] > 0) m++;
    const idx = new Int32Array(m);
    m = 0;
    for (let i = 0; i < n; i++) if (w[i] > 0) idx[m++] = i;
    const tmp = new Int32Array(m);

    // Growing node arrays (a tree has at most 2m - 1 nodes).
    let cap = 64;
    let feature = new Int32Array(cap);
    let bin = new Int32Array(cap);
    let right = new Int32Array(cap);
    let value = new Float64Array(cap * k);
    let nodes = 0;
    const grow = (): void => {
      cap *= 2;
      const f2 = new Int32Array(cap);
      f2.set(feature);
      feature = f2;
      const b2 = new Int32Array(cap);
      b2.set(bin);
      bin = b2;
      const r2 = new Int32Array(cap);
      r2.set(right);
      right = r2;
      const v2 = new Float64Array(cap * k);
      v2.set(value);
      value = v2;
    };

    const importance = new Float64Array(d);
    const order = new Int32Array(d);
    for (let f = 0; f < d; f++) order[f] = f;
    const hist = new Float64Array(256 * k);
    const counts = new Float64Array(k);
    const left = new Float64Array(k);
    const bestLeft = new Float64Array(k);
    const maxFeatures = Math.max(1, Math.min(d, p.maxFeatures));

    // Stack of pending nodes: start, end, depth, parent (-1 for the root; right children patch `right`).
    // Each stack slot also holds the node's known-constant features (constant in an ancestor stays
    // constant), so no node scans a feature its parent found constant (as scikit-learn does).
    let stack = new Int32Array(4 * 64);
    let constant = new Uint8Array(64 * d);
    const current = new Uint8Array(d);
    let top = 0;
    const push = (s: number, e: number, depth: number, parent: number): void => {
      if (top + 4 > stack.length) {
        const s2 = new Int32Array(stack.length * 2);
        s2.set(stack);
        stack = s2;
        const c2 = new Uint8Array(constant.length * 2);
        c2.set(constant);
        constant = c2;
      }
      constant.set(current, (top >> 2) * d);
      stack[top++] = s;
      stack[top++] = e;
      stack[top++] = depth;
      stack[top++] = parent;
    };
    push(0, m, 0, -1);

    while (top > 0) {
      const parent = stack[--top];
      const depth = stack[--top];
      const end = stack[--top];
      const start = stack[--top];
      current.set(constant.subarray((top >> 2) * d, (top >> 2) * d + d));
      if (nodes === cap) grow();
      const node = nodes++;
      if (parent >= 0) right[parent] = node;

      counts.fill(0);
      for (let j = start; j < end; j++) {
        const i = idx[j];
        counts[y[i]] += w[i];
      }
      let total = 0;
      let nonzero = 0;
      let parentProxy = 0;
      for (let c = 0; c < k; c++) {
        total += counts[c];
        if (counts[c] > 0) nonzero++;
      }
      for (let c = 0; c < k; c++) parentProxy += (counts[c] * counts[c]) / total;
      const base = node * k;
      for (let c = 0; c < k; c++) value[base + c] = counts[c] / total;
      feature[node] = -1;
      bin[node] = 0;
      right[node] = -1;
      if (nonzero <= 1 || end - start < p.minSamplesSplit || depth >= p.maxDepth) continue;

      // Features in random order; evaluate until maxFeatures non-constant ones were seen.
      let bestProxy = Number.NEGATIVE_INFINITY;
      let bestFeature = -1;
      let bestBin = -1;
      let seen = 0;
      for (let t = 0; t < d && seen < maxFeatures; t++) {
        const r = t + below(u32, d - t);
        const f = order[r];
        order[r] = order[t];
        order[t] = f;
        if (current[f]) continue;
        const col = f * n;
        let lo = 255;
        let hi = 0;
        if (k === 2) {
          for (let j = start; j < end; j++) {
            const i = idx[j];
            const b = binned[col + i];
            hist[2 * b + y[i]] += w[i];
            if (b < lo) lo = b;
            if (b > hi) hi = b;
          }
        } else {
          for (let j = start; j < end; j++) {
            const i = idx[j];
            const b = binned[col + i];
            hist[k * b + y[i]] += w[i];
            if (b < lo) lo = b;
            if (b > hi) hi = b;
          }
        }
        if (lo === hi) {
          for (let c = 0; c < k; c++) hist[k * lo + c] = 0;
          current[f] = 1;
          continue;
        }
        seen++;
        left.fill(0);
        let wl = 0;
        for (let b = lo; b < hi; b++) {
          for (let c = 0; c < k; c++) {
            const h = hist[k * b + c];
            left[c] += h;
            wl += h;
          }
          if (wl < p.minSamplesLeaf) continue;
          const wr = total - wl;
          if (wr < p.minSamplesLeaf) break;
          if (wl <= 0 || wr <= 0) continue;
          let sl = 0;
          let sr = 0;
          for (let c = 0; c < k; c++) {
            const l = left[c];
            const rr = counts[c] - l;
            sl += l * l;
            sr += rr * rr;
          }
          const proxy = sl / wl + sr / wr;
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestFeature = f;
            bestBin = b;
            bestLeft.set(left);
          }
        }
        for (let b = lo; b <= hi; b++) for (let c = 0; c < k; c++) hist[k * b + c] = 0;
      }
      if (bestFeature < 0 || nBins[bestFeature] <= 1) continue;

      // Stable partition: rows with bin <= bestBin first.
      const col = bestFeature * n;
      let a = start;
      let nr = 0;
      for (let j = start; j < end; j++) {
        const i = idx[j];
        if (binned[col + i] <= bestBin) idx[a++] = i;
        else tmp[nr++] = i;
      }
      for (let j = 0; j < nr; j++) idx[a + j] = tmp[j];
      if (a === start || a === end) continue;
      feature[node] = bestFeature;
      bin[node] = bestBin;
      importance[bestFeature] += bestProxy - parentProxy;
      // Right child pushed first so the left child is node + 1 (preorder).
      push(a, end, depth + 1, node);
      push(start, a, depth + 1, -1);
    }
    return {
      feature: feature.slice(0, nodes),
      bin: bin.slice(0, nodes),
      right: right.slice(0, nodes),
      value: value.slice(0, nodes * k),
      importance,
    };
  }

  /*
   * Prediction walks row by row through every tree: the row stays in the nearest cache while the trees'
   * upper levels, shared by all rows, stay warm too (measured faster than tree-major blocks of rows, and
   * than walking several rows in lockstep).
   */
  function predictProba(
    forest: KernelForest,
    x: Float64Array,
    cols: number,
    from: number,
    to: number,
    out: Float64Array,
  ): void {
    const { feature, threshold, right, value, roots, k } = forest;
    const trees = roots.length;
    const inv = 1 / trees;
    if (k === 2) {
      for (let i = from; i < to; i++) {
        const base = i * cols;
        let s0 = 0;
        let s1 = 0;
        for (let t = 0; t < trees; t++) {
          let node = roots[t];
          let f = feature[node];
          while (f >= 0) {
            node = x[base + f] <= threshold[node] ? node + 1 : right[node];
            f = feature[node];
          }
          s0 += value[2 * node];
          s1 += value[2 * node + 1];
        }
        out[2 * i] = s0 * inv;
        out[2 * i + 1] = s1 * inv;
      }
      return;
    }
    out.fill(0, from * k, to * k);
    for (let i = from; i < to; i++) {
      const base = i * cols;
      const o = i * k;
      for (let t = 0; t < trees; t++) {
        let node = roots[t];
        let f = feature[node];
        while (f >= 0) {
          node = x[base + f] <= threshold[node] ? node + 1 : right[node];
          f = feature[node];
        }
        for (let c = 0; c < k; c++) out[o + c] += value[node * k + c];
      }
      for (let c = 0; c < k; c++) out[o + c] *= inv;
    }
  }

  /*
   * Whether the mean probability of class `column` is >= `threshold`, per row, into out (0/1). Gives the
   * same answers as thresholding predictProba (same sums in the same order), but stops walking a row's
   * trees once the remaining trees cannot change the answer: clear-cut rows cost a fraction of the forest.
   */
  function classify(
    forest: KernelForest,
    x: Float64Array,
    cols: number,
    from: number,
    to: number,
    column: number,
    threshold: number,
    out: Uint8Array,
  ): void {
    const { feature, threshold: thr, right, value, roots, k } = forest;
    const trees = roots.length;
    const inv = 1 / trees;
    const margin = 1e-9;
    for (let i = from; i < to; i++) {
      const base = i * cols;
      let s = 0;
      let decided = -1;
      for (let t = 0; t < trees; t++) {
        let node = roots[t];
        let f = feature[node];
        while (f >= 0) {
          node = x[base + f] <= thr[node] ? node + 1 : right[node];
          f = feature[node];
        }
        s += value[node * k + column];
        if ((t & 7) === 7) {
          if (s * inv >= threshold + margin) {
            decided = 1;
            break;
          }
          if ((s + (trees - 1 - t)) * inv < threshold - margin) {
            decided = 0;
            break;
          }
        }
      }
      out[i] = decided >= 0 ? decided : s * inv >= threshold ? 1 : 0;
    }
  }

  return { buildTree, predictProba, classify };
}
