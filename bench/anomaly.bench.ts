/**
 * Anomaly detector throughput: `anomaly score` over a generated 1,000,000-row timestamp,value CSV (ISO
 * times, a diurnal success ratio with noise), whole command (read, parse, score, write) on one core, against
 * a plain `awk -F,` pass summing the value column of the same file in the same run; and the detector alone.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createState, update } from "../src/anomaly/detector.ts";
import { Rng } from "../src/core/random.ts";
import type { Figure } from "./run.ts";

const here = dirname(fileURLToPath(import.meta.url));
const ROWS = 1_000_000;

function series(): { times: Float64Array; values: Float64Array } {
  const rng = new Rng("anomaly-bench");
  const times = new Float64Array(ROWS);
  const values = new Float64Array(ROWS);
  const t0 = Date.UTC(2024, 0, 1) / 1000;
  for (let i = 0; i < ROWS; i++) {
    times[i] = t0 + i * 120;
    const h = ((i * 120) / 3600) % 24;
    values[i] = 0.96 + 0.02 * Math.sin((2 * Math.PI * h) / 24) + rng.normal(0, 0.005);
  }
  return { times, values };
}

function makeCsv(path: string, s: { times: Float64Array; values: Float64Array }): void {
  const parts: string[] = ["timestamp,value"];
  for (let i = 0; i < ROWS; i++) {
    parts.push(
      `${new Date(s.times[i] * 1000).toISOString().replace(".000Z", "Z")},${s.values[i].toFixed(5)}`,
    );
  }
  writeFileSync(path, `${parts.join("\n")}\n`);
}

export async function run(): Promise<Figure[]> {
  const dir = join(tmpdir(), "botscope-bench");
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, "anomaly-1m.csv");
  const s = series();
  if (!existsSync(csv) || statSync(csv).size === 0) makeCsv(csv, s);
  const out = join(dir, "anomaly-1m.scored.csv");

  let best = Number.POSITIVE_INFINITY;
  let rows = 0;
  for (let i = 0; i < 3; i++) {
    const r = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", join(here, "anomaly-run.ts"), csv, out], {
        encoding: "utf8",
      }),
    );
    rows = r.rows;
    best = Math.min(best, r.seconds);
  }
  let awk = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    execFileSync("awk", ["-F,", "NR>1{s+=$2} END{print s}", csv], { encoding: "utf8" });
    awk = Math.min(awk, (performance.now() - t) / 1000);
  }
  let alone = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const st = createState();
    const t = performance.now();
    let sink = 0;
    for (let i = 0; i < ROWS; i++) sink += update(st, s.times[i], s.values[i]);
    alone = Math.min(alone, (performance.now() - t) / 1000);
    if (sink < 0) throw new Error("unreachable");
  }
  return [
    {
      name: "anomaly score (parse+score+write, 1M rows)",
      value: rows / best,
      unit: "points/s",
      reference: { name: "awk -F, sum", value: ROWS / awk },
      better: "higher",
      note: `${best.toFixed(2)} s vs awk ${awk.toFixed(2)} s`,
    },
    {
      name: "detector alone",
      value: ROWS / alone,
      unit: "points/s",
      note: `${(alone * 1000).toFixed(0)} ms`,
    },
  ];
}
