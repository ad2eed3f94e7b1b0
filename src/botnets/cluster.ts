import { chooseK } from "../ml/auto-k.ts";
import { dbscan } from "../ml/dbscan.ts";
import { kmeans } from "../ml/kmeans.ts";
import type { Matrix } from "../ml/matrix.ts";
import { RobustScaler, StandardScaler } from "../ml/scale.ts";
import type { SessionFeature } from "../store/schema.ts";

export type FeatureRow = Partial<Record<SessionFeature, number | null>>;

export interface ClusterOptions {
  features: SessionFeature[];
  algo: "dbscan" | "kmeans";
  /** DBSCAN radius in scaled units (Bothound: 0.2) and core size (Bothound: 10). */
  eps?: number;
  minSamples?: number;
  /** k-means clusters; absent: chosen by silhouette between kMin and kMax (default 2..12). */
  k?: number;
  kMin?: number;
  kMax?: number;
  nInit?: number;
  scale?: "standard" | "robust";
  /** log1p of non-negative features before scaling: tames heavy tails (rates, sizes, durations). */
  log?: boolean;
  seed?: number;
}

export interface Clustering {
  /** Per row: 0 for DBSCAN noise, clusters numbered from 1 (as Bothound showed them). */
  labels: Int32Array;
  clusters: number;
  /** The chosen k when k-means picked it by silhouette. */
  chosenK?: { k: number; silhouette: number };
}

/** Session features as a matrix (NaN for missing values; the scalers treat them as missing). */
export function featureMatrix(rows: FeatureRow[], features: SessionFeature[], log = false): Matrix {
  const d = features.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    features.forEach((f, j) => {
      const v = r[f];
      data[i * d + j] = v == null ? Number.NaN : log && v >= 0 ? Math.log1p(v) : v;
    });
  });
  return { data, rows: rows.length, cols: d };
}

/** Scales, then clusters with DBSCAN or k-means. */
export function clusterSessions(rows: FeatureRow[], opts: ClusterOptions): Clustering {
  if (rows.length === 0) return { labels: new Int32Array(0), clusters: 0 };
  const raw = featureMatrix(rows, opts.features, opts.log);
  const m = (opts.scale === "robust" ? new RobustScaler() : new StandardScaler()).fitTransform(raw);
  if (opts.algo === "dbscan") {
    const r = dbscan(m, { eps: opts.eps ?? 0.2, minSamples: opts.minSamples ?? 10 });
    return { labels: r.labels.map((l) => l + 1), clusters: r.clusters };
  }
  if (opts.k !== undefined) {
    const k = Math.min(opts.k, rows.length);
    const r = kmeans(m, { k, nInit: opts.nInit ?? 10, seed: opts.seed ?? 0 });
    return { labels: r.labels.map((l) => l + 1), clusters: k };
  }
  if (rows.length < 3) return { labels: new Int32Array(rows.length).fill(1), clusters: 1 };
  const kMax = Math.min(opts.kMax ?? 12, rows.length - 1);
  const chosen = chooseK(m, { kMin: Math.min(opts.kMin ?? 2, kMax), kMax, seed: opts.seed ?? 0 });
  const best = chosen.scores.find((s) => s.k === chosen.k);
  return {
    labels: chosen.result.labels.map((l) => l + 1),
    clusters: chosen.k,
    chosenK: { k: chosen.k, silhouette: best?.silhouette ?? Number.NaN },
  };
}
