/**
 * Random forest (src/ml/forest.ts) against scikit-learn's RandomForestClassifier(n_estimators=100,
 * n_jobs=2) on the same CTU-13 scenario 6 feature matrices, split by time (bench/forest-data.ts): the
 * default flow features (per flow + host aggregates), botd's per-flow features only, and botnet against
 * everything (background rows as negatives, 1.1M rows). Both sides use 2 threads; only fit and
 * predict_proba are timed (scikit-learn inside its Python process), best of N runs each. F1 of the botnet
 * class on the held-out (later) part. Skipped when the data is absent; the reference is noted when
 * scikit-learn is missing (`apt-get install python3-sklearn`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RandomForest } from "../src/ml/forest.ts";
import type { Matrix } from "../src/ml/matrix.ts";
import {
  CTU13_S6,
  CTU13_S6_SPLIT,
  ctu13Available,
  f1Of,
  type SplitData,
  splitFeatures,
} from "./forest-data.ts";
import { findPython, type Python, runPython, writeNpy } from "./ml-sklearn.ts";
import type { Figure } from "./run.ts";

const JOBS = 2;

const SCRIPT = `
import sys, json, time
import numpy as np
from sklearn.ensemble import RandomForestClassifier
d, repeat = sys.argv[1], int(sys.argv[2])
X, y = np.load(d + "/xtr.npy"), np.load(d + "/ytr.npy").ravel()
XT, yt = np.load(d + "/xte.npy"), np.load(d + "/yte.npy").ravel()
fit, pred = [], []
for r in range(repeat):
    m = RandomForestClassifier(n_estimators=100, n_jobs=${JOBS}, random_state=r)
    t = time.perf_counter(); m.fit(X, y); fit.append(time.perf_counter() - t)
    t = time.perf_counter(); p = m.predict_proba(XT); pred.append(time.perf_counter() - t)
yp = m.classes_[p.argmax(1)]
tp = int(((yp == 1) & (yt == 1)).sum()); fp = int(((yp == 1) & (yt != 1)).sum()); fn = int(((yp != 1) & (yt == 1)).sum())
f1 = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
nodes = int(sum(e.tree_.node_count for e in m.estimators_))
print(json.dumps({"fit": min(fit), "predict": min(pred), "f1": f1, "nodes": nodes}))
`;

interface SkResult {
  fit: number;
  predict: number;
  f1: number;
  nodes: number;
}

function column(y: Float64Array): Matrix {
  return { data: y, rows: y.length, cols: 1 };
}

async function ours(
  d: SplitData,
  repeat: number,
): Promise<{ fit: number; predict: number; f1: number; nodes: number; cpuFit: number }> {
  let fit = Number.POSITIVE_INFINITY;
  let predict = Number.POSITIVE_INFINITY;
  let cpuFit = 0;
  let f1 = 0;
  let nodes = 0;
  for (let r = 0; r < repeat; r++) {
    const c = process.cpuUsage();
    let t = performance.now();
    const forest = await RandomForest.fit(d.train.x, d.train.y, {
      seed: r,
      jobs: JOBS,
      featureNames: d.names,
    });
    const seconds = (performance.now() - t) / 1000;
    if (seconds < fit) {
      fit = seconds;
      const used = process.cpuUsage(c);
      cpuFit = (used.user + used.system) / 1e6;
    }
    // prediction: one thread below ~50k rows (a worker would cost more than it saves), else the pool
    t = performance.now();
    const proba =
      d.test.x.rows < 50_000
        ? forest.predictProba(d.test.x)
        : await forest.predictProbaParallel(d.test.x, JOBS);
    predict = Math.min(predict, (performance.now() - t) / 1000);
    f1 = f1Of(d.test.y, forest.labelsOf(proba));
    nodes = forest.nodes;
  }
  return { fit, predict, f1, nodes, cpuFit };
}

export async function run(): Promise<Figure[]> {
  if (!ctu13Available()) {
    return [{ name: "forest", value: 0, unit: "", note: `skipped: ${CTU13_S6} is absent` }];
  }
  const py = findPython();
  const sk: Python | undefined = "exe" in py ? py : undefined;
  const noRef = "missing" in py ? `no scikit-learn reference: ${py.missing}` : "";
  const dir = mkdtempSync(join(tmpdir(), "botscope-forest-bench-"));
  const figures: Figure[] = [];
  const cases: { name: string; aggregates: boolean; background: boolean; repeat: number }[] = [
    { name: "s6 flow+host features", aggregates: true, background: false, repeat: 3 },
    { name: "s6 per-flow features (botd)", aggregates: false, background: false, repeat: 3 },
    ...(process.env.FOREST_BENCH_SMALL
      ? []
      : [{ name: "s6 botnet vs all, 1.1M rows", aggregates: true, background: true, repeat: 1 }]),
  ];
  try {
    for (const c of cases) {
      const d = await splitFeatures(CTU13_S6, CTU13_S6_SPLIT, {
        aggregates: c.aggregates,
        background: c.background,
      });
      const size = `${d.train.x.rows} train / ${d.test.x.rows} test rows x ${d.train.x.cols}`;
      const me = await ours(d, c.repeat);
      let ref: SkResult | undefined;
      if (sk) {
        writeNpy(join(dir, "xtr.npy"), d.train.x);
        writeNpy(join(dir, "ytr.npy"), column(d.train.y));
        writeNpy(join(dir, "xte.npy"), d.test.x);
        writeNpy(join(dir, "yte.npy"), column(d.test.y));
        ref = runPython<SkResult>(sk, SCRIPT, [dir, String(c.repeat)]);
      }
      const refName = (what: string) => `scikit-learn ${sk?.sklearn} ${what}`;
      figures.push({
        name: `${c.name}: fit (100 trees, ${JOBS} threads)`,
        value: me.fit,
        unit: "s",
        better: "lower",
        reference: ref ? { name: refName("fit"), value: ref.fit } : undefined,
        note: `${size}; ${me.nodes} nodes${ref ? ` vs ${ref.nodes}` : ""}; cpu ${me.cpuFit.toFixed(2)} s${noRef ? `; ${noRef}` : ""}`,
      });
      figures.push({
        name: `${c.name}: predict_proba`,
        value: me.predict,
        unit: "s",
        better: "lower",
        reference: ref ? { name: refName("predict_proba"), value: ref.predict } : undefined,
      });
      figures.push({
        name: `${c.name}: F1 on the later half`,
        value: me.f1,
        unit: "",
        better: "higher",
        reference: ref ? { name: refName("F1"), value: ref.f1 } : undefined,
        note: ref ? `difference ${(100 * (me.f1 - ref.f1)).toFixed(2)} points` : undefined,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
