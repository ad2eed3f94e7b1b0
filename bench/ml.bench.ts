/**
 * ml/: DBSCAN on 100k x 3 standardized blobs, k-means (k = 8, nInit = 10) on 100k x 10, and isolation
 * forest fit + score on 100k x 10, each timed in this process (one core) against scikit-learn on the
 * same data in a child Python process of the same run (only the fit, and the scoring for the forest,
 * are timed inside Python). Notes compare results too: DBSCAN labels must equal scikit-learn's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbscan } from "../src/ml/dbscan.ts";
import { IsolationForest } from "../src/ml/isolation-forest.ts";
import { kmeans } from "../src/ml/kmeans.ts";
import type { Matrix } from "../src/ml/matrix.ts";
import { adjustedRandIndex, rocAuc } from "../src/ml/metrics.ts";
import { StandardScaler } from "../src/ml/scale.ts";
import { blobData, findPython, type Python, readRaw, runPython, writeNpy } from "./ml-sklearn.ts";
import type { Figure } from "./run.ts";

const N = 100_000;
const EPS = 0.08;
const MIN_SAMPLES = 10;
const K = 8;
const N_INIT = 10;

const SCRIPT = `
import sys, json, time
import numpy as np
mode, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
X = np.load(path)
res = {}
if mode == "dbscan":
    from sklearn.cluster import DBSCAN
    t = time.perf_counter()
    m = DBSCAN(eps=float(sys.argv[4]), min_samples=int(sys.argv[5])).fit(X)
    res["seconds"] = time.perf_counter() - t
    m.labels_.astype("<i4").tofile(out)
elif mode == "kmeans":
    from sklearn.cluster import KMeans
    t = time.perf_counter()
    m = KMeans(n_clusters=int(sys.argv[4]), n_init=int(sys.argv[5]), algorithm="lloyd", random_state=0).fit(X)
    res["seconds"] = time.perf_counter() - t
    res["inertia"] = float(m.inertia_)
    m.labels_.astype("<i4").tofile(out)
elif mode == "iforest":
    from sklearn.ensemble import IsolationForest
    t = time.perf_counter()
    f = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(X)
    s = -f.score_samples(X)
    res["seconds"] = time.perf_counter() - t
    s.astype("<f8").tofile(out)
print(json.dumps(res))
`;

interface SkResult {
  seconds: number;
  inertia?: number;
}

function timed<T>(f: () => T): { result: T; seconds: number } {
  const t = performance.now();
  const result = f();
  return { result, seconds: (performance.now() - t) / 1000 };
}

function head(m: Matrix, rows: number): Matrix {
  return { data: m.data.subarray(0, rows * m.cols), rows, cols: m.cols };
}

export async function run(): Promise<Figure[]> {
  const py = findPython();
  const sk: Python | undefined = "exe" in py ? py : undefined;
  const dir = mkdtempSync(join(tmpdir(), "botscope-ml-bench-"));
  const refName = (what: string): string => `scikit-learn ${sk?.sklearn} ${what}`;
  const noRef = "missing" in py ? `no scikit-learn reference: ${py.missing}` : "";
  const figures: Figure[] = [];
  try {
    // DBSCAN: 6 blobs + 5% uniform noise in 3-d, standardized.
    const raw3 = blobData(1, N, 3, 6, 10, 0.05);
    const x3 = new StandardScaler().fitTransform(raw3.m);
    dbscan(head(x3, 5000), { eps: EPS * 4, minSamples: MIN_SAMPLES }); // warm-up
    const db = timed(() => dbscan(x3, { eps: EPS, minSamples: MIN_SAMPLES }));
    const dbName = `DBSCAN ${N / 1000}k x 3 (eps ${EPS}, minSamples ${MIN_SAMPLES}; ${db.result.clusters} clusters)`;
    if (sk) {
      writeNpy(join(dir, "x3.npy"), x3);
      const r = runPython<SkResult>(sk, SCRIPT, [
        "dbscan",
        join(dir, "x3.npy"),
        join(dir, "db.bin"),
        String(EPS),
        String(MIN_SAMPLES),
      ]);
      const theirs = readRaw(join(dir, "db.bin"), "i4");
      let diff = 0;
      for (let i = 0; i < N; i++) if (theirs[i] !== db.result.labels[i]) diff++;
      const note =
        diff === 0
          ? "labels identical to scikit-learn's"
          : `${diff} labels differ from scikit-learn's (ARI ${adjustedRandIndex(theirs, db.result.labels).toFixed(4)})`;
      figures.push(fig(dbName, db.seconds, { name: refName("DBSCAN"), value: r.seconds }, note));
    } else figures.push(fig(dbName, db.seconds, undefined, noRef));

    // k-means: 8 overlapping blobs in 10-d (tens of Lloyd iterations).
    const raw10 = blobData(2, N, 10, K, 2, 0);
    kmeans(head(raw10.m, 5000), { k: K, nInit: 2, seed: 1 }); // warm-up
    const km = timed(() => kmeans(raw10.m, { k: K, nInit: N_INIT, seed: 1 }));
    const kmName = `k-means ${N / 1000}k x 10 (k ${K}, nInit ${N_INIT}, k-means++, Lloyd)`;
    if (sk) {
      writeNpy(join(dir, "x10.npy"), raw10.m);
      const r = runPython<SkResult>(sk, SCRIPT, [
        "kmeans",
        join(dir, "x10.npy"),
        join(dir, "km.bin"),
        `${K}`,
        `${N_INIT}`,
      ]);
      const theirs = readRaw(join(dir, "km.bin"), "i4");
      const one = runPython<SkResult>(
        sk,
        SCRIPT,
        ["kmeans", join(dir, "x10.npy"), join(dir, "km1.bin"), `${K}`, `${N_INIT}`],
        { OMP_NUM_THREADS: "1" },
      );
      // The reference is the faster of scikit-learn's default threads and one thread.
      const oneFaster = one.seconds < r.seconds;
      const note =
        `inertia ${(km.result.inertia / (r.inertia ?? 1)).toFixed(4)}x scikit-learn's, ` +
        `ARI between the two ${adjustedRandIndex(theirs, km.result.labels).toFixed(4)}; scikit-learn ` +
        (oneFaster
          ? `on 1 thread (its default ${sk.threads} OpenMP threads took ${r.seconds.toFixed(2)} s)`
          : `on its default ${sk.threads} OpenMP threads (1 thread took ${one.seconds.toFixed(2)} s)`);
      const ref = { name: refName("KMeans"), value: Math.min(r.seconds, one.seconds) };
      figures.push(fig(kmName, km.seconds, ref, note));
    } else figures.push(fig(kmName, km.seconds, undefined, noRef));

    // Isolation forest: 10-d blobs with 1% uniform outliers.
    const rawIf = blobData(3, N, 10, 4, 5, 0.01);
    const truth = Uint8Array.from(rawIf.labels, (l) => (l < 0 ? 1 : 0));
    new IsolationForest({ seed: 2 }).fitScore(head(rawIf.m, 5000)); // warm-up
    const iso = timed(() => new IsolationForest({ nTrees: 100, sampleSize: 256, seed: 1 }).fitScore(rawIf.m));
    const isoName = `isolation forest fit+score ${N / 1000}k x 10 (100 trees, 256 samples)`;
    const ourAuc = rocAuc(iso.result, truth);
    if (sk) {
      writeNpy(join(dir, "xif.npy"), rawIf.m);
      const r = runPython<SkResult>(sk, SCRIPT, ["iforest", join(dir, "xif.npy"), join(dir, "if.bin")]);
      const theirs = readRaw(join(dir, "if.bin"), "f8");
      let meanOurs = 0;
      let meanTheirs = 0;
      for (let i = 0; i < N; i++) {
        meanOurs += iso.result[i] / N;
        meanTheirs += theirs[i] / N;
      }
      const note =
        `AUC on the injected outliers ${ourAuc.toFixed(4)} (scikit-learn ${rocAuc(theirs, truth).toFixed(4)}), ` +
        `mean score ${meanOurs.toFixed(3)} (scikit-learn ${meanTheirs.toFixed(3)})`;
      figures.push(fig(isoName, iso.seconds, { name: refName("IsolationForest"), value: r.seconds }, note));
    } else figures.push(fig(isoName, iso.seconds, undefined, `${noRef}; AUC ${ourAuc.toFixed(4)}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

function fig(
  name: string,
  seconds: number,
  reference: { name: string; value: number } | undefined,
  note: string,
): Figure {
  return { name, value: seconds, unit: "s", reference, better: "lower", note: note || undefined };
}
