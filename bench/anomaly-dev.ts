/**
 * Development harness for the anomaly detector (not a benchmark): NAB-style scores of a parameter variant on
 * botscope's synthetic corpus (seeds 3-6, as in test/anomaly/detector.test.ts) and on a chosen set of NAB
 * series, at threshold 0.95 and at the optimised threshold.
 *   npx tsx bench/anomaly-dev.ts [dev|heldout|all] ['{"param":value}']
 * dev = realAdExchange + realKnownCause/ec2_request_latency_system_failure (for choosing designs),
 * heldout = realTraffic (run once, after the design is fixed), all = every series with data and labels.
 * NAB data at BOTSCOPE_NAB_DIR (NAB layout).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTime } from "../src/anomaly/csv.ts";
import { type AnomalyParams, scoreSeries } from "../src/anomaly/detector.ts";
import { evaluateCorpus, syntheticCorpus } from "../src/anomaly/evaluate.ts";
import { type NabSeries, type NabWindow, nabBest, nabRaw, nabScore } from "../src/anomaly/nab-score.ts";

const set = process.argv[2] ?? "dev";
const params = JSON.parse(process.argv[3] ?? "{}") as Partial<AnomalyParams>;
const dir = process.env.BOTSCOPE_NAB_DIR ?? "";
if (!dir || !existsSync(join(dir, "labels/combined_windows.json"))) {
  process.stderr.write("anomaly-dev: set BOTSCOPE_NAB_DIR to a copy of NAB (data/ and labels/)\n");
  process.exit(2);
}
const wanted = (name: string): boolean =>
  set === "all" ||
  (set === "heldout" && name.startsWith("realTraffic/")) ||
  (set === "dev" &&
    (name.startsWith("realAdExchange/") || name === "realKnownCause/ec2_request_latency_system_failure.csv"));

const ts = (s: string): number => parseTime(s.replace(" ", "T"));
const labels = JSON.parse(readFileSync(join(dir, "labels/combined_windows.json"), "utf8")) as Record<
  string,
  [string, string][]
>;
const corpus: NabSeries[] = [];
for (const name of Object.keys(labels).sort()) {
  const path = join(dir, "data", name);
  if (!wanted(name) || !existsSync(path)) continue;
  const times: number[] = [];
  const values: number[] = [];
  for (const line of readFileSync(path, "latin1").split("\n").slice(1)) {
    if (line.trim() === "") continue;
    const c = line.indexOf(",");
    times.push(ts(line.slice(0, c).trim()));
    values.push(Number(line.slice(c + 1)));
  }
  const windows: NabWindow[] = [];
  for (const [a, b] of labels[name]) {
    const from = ts(a);
    const to = ts(b);
    let start = 0;
    while (start < times.length && times[start] < from) start++;
    let end = start;
    while (end + 1 < times.length && times[end + 1] <= to) end++;
    if (start < times.length) windows.push({ start, end });
  }
  const s = { scores: scoreSeries(Float64Array.from(times), Float64Array.from(values), params), windows };
  corpus.push(s);
  const r = nabRaw(s, 0.95);
  process.stdout.write(`  ${name}: raw ${r.score.toFixed(3)} tp ${r.tp} fp ${r.fp} fn ${r.fn}\n`);
}
const at = nabScore(corpus, 0.95);
const best = nabBest(corpus);
const syn = evaluateCorpus(syntheticCorpus([3, 4, 5, 6]), 0.95, params);
process.stdout.write(
  `${set} (${corpus.length} series): ${at.score.toFixed(1)} at 0.95 (tp ${at.tp} fp ${at.fp} fn ${at.fn}), ` +
    `${best.score.toFixed(1)} at ${best.threshold.toFixed(3)}; synthetic ${syn.detector.atThreshold.score.toFixed(1)} ` +
    `at 0.95 (fp ${syn.detector.atThreshold.fp} fn ${syn.detector.atThreshold.fn}), ${syn.detector.best.score.toFixed(1)} best\n`,
);
