/**
 * The anomaly detector on the Numenta Anomaly Benchmark (NAB, Lavin & Ahmad 2015), standard profile, against
 * the detectors whose results NAB publishes, scored on the same series with the same scorer.
 *
 * Data: a NAB checkout (or part of one) at BOTSCOPE_NAB_DIR, default ../shared/data/nab, with NAB's layout:
 *   data/<category>/<series>.csv               timestamp,value
 *   labels/combined_windows.json               the labelled anomaly windows
 *   results/<detector>/<detector>_standard_scores.csv   NAB's published per-series raw scores (optional)
 * Every series present in both data/ and the windows file is scored; absent data skips the benchmark.
 *
 * Our detector runs with its product defaults and threshold 0.95 (chosen on botscope's synthetic series and
 * a development subset of NAB, realAdExchange + ec2_request_latency; see bench/anomaly-dev.ts and the
 * README for the protocol); the score at NAB's optimised threshold is printed too, for comparison with the
 * published figures, which are at each detector's corpus-optimised threshold. Published raw scores are summed over the same series and normalised the same way
 * (0 = null detector, 100 = a detection at every window start).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseTime } from "../src/anomaly/csv.ts";
import { scoreSeries } from "../src/anomaly/detector.ts";
import {
  type NabSeries,
  type NabWindow,
  nabBest,
  nabRaw,
  nabScore,
  STANDARD_PROFILE,
  scaledSigmoid,
} from "../src/anomaly/nab-score.ts";
import type { Figure } from "./run.ts";

const here = dirname(fileURLToPath(import.meta.url));
const THRESHOLD = 0.95;

interface Loaded {
  name: string;
  times: Float64Array;
  values: Float64Array;
  windows: NabWindow[];
}

function readSeries(path: string): { times: Float64Array; values: Float64Array } {
  const lines = readFileSync(path, "latin1").split("\n");
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const comma = line.indexOf(",");
    times.push(parseTime(line.slice(0, comma).replace(" ", "T")));
    values.push(Number(line.slice(comma + 1)));
  }
  return { times: Float64Array.from(times), values: Float64Array.from(values) };
}

/** NAB windows are [start, end] timestamps; as inclusive index ranges over the series' times. */
function windowIndices(times: Float64Array, labelled: [string, string][]): NabWindow[] {
  const out: NabWindow[] = [];
  for (const [a, b] of labelled) {
    const from = parseTime(a.replace(" ", "T"));
    const to = parseTime(b.replace(" ", "T"));
    let start = 0;
    while (start < times.length && times[start] < from) start++;
    let end = start;
    while (end + 1 < times.length && times[end + 1] <= to) end++;
    if (start < times.length) out.push({ start, end });
  }
  return out;
}

function load(dir: string): Loaded[] {
  const labels = JSON.parse(readFileSync(join(dir, "labels/combined_windows.json"), "utf8")) as Record<
    string,
    [string, string][]
  >;
  const out: Loaded[] = [];
  for (const name of Object.keys(labels).sort()) {
    const path = join(dir, "data", name);
    if (!existsSync(path)) continue;
    const { times, values } = readSeries(path);
    out.push({ name, times, values, windows: windowIndices(times, labels[name]) });
  }
  return out;
}

/** Published raw scores per series name ("realTraffic/speed_7578.csv"), per detector. */
function published(dir: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const root = join(dir, "results");
  if (!existsSync(root)) return out;
  for (const det of readdirSync(root)) {
    const file = join(root, det, `${det}_standard_scores.csv`);
    if (!existsSync(file)) continue;
    const rows = new Map<string, number>();
    for (const line of readFileSync(file, "utf8").split("\n").slice(1)) {
      const f = line.split(",");
      if (f.length >= 5 && f[1] === "standard") rows.set(f[2], Number(f[4]));
    }
    out.set(det, rows);
  }
  return out;
}

function normalised(raw: number, windows: number): number {
  const nul = -STANDARD_PROFILE.fn * windows;
  const perfect = STANDARD_PROFILE.tp * scaledSigmoid(-1) * windows;
  return (100 * (raw - nul)) / (perfect - nul);
}

export async function run(): Promise<Figure[]> {
  const dir = resolve(process.env.BOTSCOPE_NAB_DIR ?? join(here, "../../shared/data/nab"));
  if (!existsSync(join(dir, "labels/combined_windows.json"))) {
    process.stdout.write(`skipped: no NAB data at ${dir} (set BOTSCOPE_NAB_DIR to a NAB checkout)\n`);
    return [];
  }
  const series = load(dir);
  if (series.length === 0) {
    process.stdout.write(`skipped: no NAB series under ${join(dir, "data")}\n`);
    return [];
  }
  const scored: NabSeries[] = series.map((s) => ({
    scores: scoreSeries(s.times, s.values),
    windows: s.windows,
  }));
  for (let i = 0; i < series.length; i++) {
    const r = nabRaw(scored[i], THRESHOLD);
    process.stdout.write(
      `  ${series[i].name}: ${series[i].values.length} points, ${series[i].windows.length} windows, raw ${r.score.toFixed(3)} (tp ${r.tp} fp ${r.fp} fn ${r.fn})\n`,
    );
  }
  const pub = published(dir);
  const categories = [...new Set(series.map((s) => s.name.split("/")[0]))];
  const groups = categories.length > 1 ? [...categories, "all"] : categories;
  const figures: Figure[] = [];
  for (const group of groups) {
    const members = series.flatMap((s, i) => (group === "all" || s.name.startsWith(`${group}/`) ? [i] : []));
    const corpus = members.map((i) => scored[i]);
    const windows = corpus.reduce((a, s) => a + s.windows.length, 0);
    const ours = nabScore(corpus, THRESHOLD);
    const best = nabBest(corpus);
    figures.push(
      {
        name: `${group}: botscope at ${THRESHOLD} (defaults)`,
        value: ours.score,
        unit: "points",
        note: `${members.length} series, ${windows} windows; tp ${ours.tp} fp ${ours.fp} fn ${ours.fn}`,
      },
      {
        name: `${group}: botscope at NAB's optimised threshold`,
        value: best.score,
        unit: "points",
        note: `threshold ${best.threshold.toFixed(3)}`,
      },
    );
    for (const [det, rows] of [...pub].sort()) {
      const raws = members.map((i) => rows.get(series[i].name));
      if (raws.some((v) => v === undefined)) continue;
      const raw = raws.reduce((a: number, v) => a + (v as number), 0);
      figures.push({
        name: `${group}: botscope at ${THRESHOLD}`,
        value: ours.score,
        unit: "points",
        reference: { name: `${det} (published)`, value: normalised(raw, windows) },
        better: "higher",
      });
    }
  }
  return figures;
}
