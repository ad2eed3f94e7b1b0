/**
 * Helpers of the ml benchmark: seeded data sets, .npy files for Python, and running scikit-learn in a
 * child process (the first of `python3`, `/usr/bin/python3` that imports sklearn and numpy).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { Rng } from "../src/core/random.ts";
import type { Matrix } from "../src/ml/matrix.ts";

/**
 * `n` rows of `k` Gaussian blobs in d dimensions (centres uniform in [-spread, spread]^d, per-blob sd
 * between 0.5 and 1.5), the last `outlierShare` of rows uniform over a box twice as wide. Labels: blob,
 * or -1 for the uniform rows.
 */
export function blobData(
  seed: number,
  n: number,
  d: number,
  k: number,
  spread: number,
  outlierShare: number,
): { m: Matrix; labels: Int32Array } {
  const rng = new Rng(seed);
  const centers = Array.from({ length: k }, () =>
    Array.from({ length: d }, () => rng.uniform(-spread, spread)),
  );
  const sds = Array.from({ length: k }, () => rng.uniform(0.5, 1.5));
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  const inliers = Math.round(n * (1 - outlierShare));
  for (let i = 0; i < n; i++) {
    if (i >= inliers) {
      labels[i] = -1;
      for (let j = 0; j < d; j++) data[i * d + j] = rng.uniform(-2 * spread, 2 * spread);
      continue;
    }
    const c = rng.int(k);
    labels[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c][j] + rng.normal(0, sds[c]);
  }
  return { m: { data, rows: n, cols: d }, labels };
}

/** Writes a float64 matrix as a NumPy .npy file (format 1.0, C order). */
export function writeNpy(path: string, m: Matrix): void {
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64);
  header += "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, "latin1"), body]));
}

/** A raw little-endian file written by numpy's `tofile`. */
export function readRaw(path: string, type: "f8" | "i4"): Float64Array | Int32Array {
  const b = readFileSync(path);
  const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return type === "f8" ? new Float64Array(copy) : new Int32Array(copy);
}

export interface Python {
  exe: string;
  sklearn: string;
  numpy: string;
  threads: number;
}

/** The first Python with scikit-learn, or the reason there is none. */
export function findPython(): Python | { missing: string } {
  const probe =
    "import json, os, sklearn, numpy; print(json.dumps([sklearn.__version__, numpy.__version__, os.cpu_count()]))";
  const tried: string[] = [];
  for (const exe of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(exe, ["-c", probe], { encoding: "utf8" });
    if (r.status === 0) {
      const [sklearn, numpy, threads] = JSON.parse(r.stdout) as [string, string, number];
      return { exe, sklearn, numpy, threads };
    }
    tried.push(r.error ? `${exe}: not found` : `${exe}: no scikit-learn`);
  }
  return { missing: tried.join("; ") };
}

/** Runs `python -c script args...` and parses the JSON it prints last. */
export function runPython<T>(
  py: Python,
  script: string,
  args: string[],
  env: Record<string, string> = {},
): T {
  const r = spawnSync(py.exe, ["-c", script, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0)
    throw new Error(`scikit-learn run failed (${py.exe}): ${r.stderr.trim().split("\n").pop()}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}
