/**
 * Data of the forest and flow benchmarks: the CTU-13 scenario 6 feature matrix (exactly what
 * `botscope flows features` writes), split by time: training rows from windows that end before the split,
 * test rows from windows that start after it (windows straddling it are left out, so no flow is in both).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FeatureSpec, featureNames } from "../src/flows/features.ts";
import { ctu13Label } from "../src/flows/labels.ts";
import { FlowWindows } from "../src/flows/windows.ts";
import { readFlows } from "../src/ingest/flows/reader.ts";
import type { Matrix } from "../src/ml/matrix.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const CTU13_S6 = join(here, "../../shared/data/ctu13/ctu13-s6-capture20110816.binetflow.gz");
/** About half of the capture (10:01:46 to 12:10:56, times as in the file). */
export const CTU13_S6_SPLIT = Date.parse("2011-08-16T11:05:00Z") / 1000;

export function ctu13Available(): boolean {
  return existsSync(CTU13_S6);
}

class Rows {
  data = new Float64Array(1 << 16);
  rows = 0;
  y: number[] = [];
  constructor(readonly cols: number) {}
  push(src: Float64Array, offset: number, label: number): void {
    const need = (this.rows + 1) * this.cols;
    if (need > this.data.length) {
      const d = new Float64Array(Math.max(need, this.data.length * 2));
      d.set(this.data);
      this.data = d;
    }
    for (let j = 0; j < this.cols; j++) this.data[this.rows * this.cols + j] = src[offset + j];
    this.y.push(label);
    this.rows++;
  }
  matrix(): { x: Matrix; y: Float64Array } {
    return {
      x: { data: this.data.slice(0, this.rows * this.cols), rows: this.rows, cols: this.cols },
      y: Float64Array.from(this.y),
    };
  }
}

export interface SplitData {
  train: { x: Matrix; y: Float64Array };
  test: { x: Matrix; y: Float64Array };
  names: string[];
  spec: FeatureSpec;
}

/**
 * Labelled rows (botnet 1, normal 0) of a flow file, split at `split`; with `background`, background
 * rows too, as class 0 (botnet against everything else).
 */
export async function splitFeatures(
  file: string,
  split: number,
  opts: { aggregates?: boolean; background?: boolean } = {},
): Promise<SplitData> {
  let train: Rows | undefined;
  let test: Rows | undefined;
  const windows = new FlowWindows(
    { windowSeconds: 300, stepSeconds: 150, aggregates: opts.aggregates ?? true },
    (w) => {
      train ??= new Rows(w.x.cols);
      test ??= new Rows(w.x.cols);
      const into = w.end <= split ? train : w.start >= split ? test : undefined;
      if (!into) return;
      for (let i = 0; i < w.x.rows; i++) {
        const l = w.label[i];
        if (l < 0 && !opts.background) continue;
        into.push(w.x.data, i * w.x.cols, l === 1 ? 1 : 0);
      }
    },
  );
  await readFlows(
    [file],
    { reuseRecord: true },
    (f) => windows.push(f, ctu13Label(f)),
    () => windows.advance(),
  );
  windows.flush();
  if (!train || !test || !windows.spec) throw new Error(`${file}: no windows`);
  return {
    train: train.matrix(),
    test: test.matrix(),
    names: featureNames(windows.spec),
    spec: windows.spec,
  };
}

export function f1Of(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (predicted[i] === 1 && truth[i] === 1) tp++;
    else if (predicted[i] === 1) fp++;
    else if (truth[i] === 1) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}
