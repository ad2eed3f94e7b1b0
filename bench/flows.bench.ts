/**
 * Flow reading: readFlows over the real CTU-13 scenario 6 binetflow (558,919 flows, decompressed once to
 * a temp file), on one core, best of 3, against `awk -F, '{n++} END {print n}'` and `wc -l` on the same
 * file in the same run (what "just looking at every line" costs). Falls back to 1,000,000 simulated
 * CTU-13 flows when the reference data is absent.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGunzip } from "node:zlib";
import { readFlows } from "../src/ingest/flows/reader.ts";
import { simulateFlows } from "../src/simulate/flows.ts";
import type { Figure } from "./run.ts";

const here = dirname(fileURLToPath(import.meta.url));
const CTU13 = join(here, "../../shared/data/ctu13/ctu13-s6-capture20110816.binetflow.gz");
const SIMULATED_FLOWS = 1_000_000;

async function prepare(dir: string): Promise<{ path: string; source: string }> {
  if (existsSync(CTU13)) {
    const path = join(dir, "ctu13-s6-capture20110816.binetflow");
    if (!existsSync(path) || statSync(path).size === 0) {
      await pipeline(createReadStream(CTU13), createGunzip(), createWriteStream(`${path}.part`));
      execFileSync("mv", [`${path}.part`, path]);
    }
    return { path, source: "CTU-13 scenario 6" };
  }
  const path = join(dir, "simulated-1m.binetflow");
  if (!existsSync(path) || statSync(path).size === 0) {
    const { lines } = simulateFlows({ seed: 1, hours: Math.ceil(SIMULATED_FLOWS / 20_000) });
    writeFileSync(path, `${lines.slice(0, SIMULATED_FLOWS + 1).join("\n")}\n`);
  }
  return { path, source: "1M simulated CTU-13 flows" };
}

/** Best wall time of n runs, with the CPU seconds of this process in that run (children not counted). */
async function bestOf<T>(
  n: number,
  f: () => Promise<T> | T,
): Promise<{ seconds: number; cpuSeconds: number; result: T }> {
  let best = { seconds: Number.POSITIVE_INFINITY, cpuSeconds: 0, result: undefined as T };
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const result = await f();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    if (seconds < best.seconds) best = { seconds, cpuSeconds: (used.user + used.system) / 1e6, result };
  }
  return best;
}

export async function run(): Promise<Figure[]> {
  const dir = join(tmpdir(), "botscope-bench");
  mkdirSync(dir, { recursive: true });
  const { path, source } = await prepare(dir);
  const mb = statSync(path).size / 1e6;

  // a new record per flow is the default the detectors use: storing young strings into one long-lived
  // record costs V8 write barriers, so reuse measured slower
  let checksum = 0;
  const fresh = await bestOf(3, () =>
    readFlows([path], {}, (f) => {
      checksum += f.totPkts;
    }),
  );
  const reused = await bestOf(3, () =>
    readFlows([path], { reuseRecord: true }, (f) => {
      checksum += f.totBytes;
    }),
  );
  const flows = reused.result.flows;
  if (reused.result.bad.total || fresh.result.flows !== flows)
    throw new Error("flows bench: inconsistent reads");

  const awk = await bestOf(3, () =>
    execFileSync("awk", ["-F,", "{n++} END {print n}", path], { encoding: "utf8" }),
  );
  const wc = await bestOf(3, () => execFileSync("wc", ["-l", path], { encoding: "utf8" }));
  // awk that splits every line and reads a column (TotBytes): closer to what a parser has to do
  const awkSum = await bestOf(3, () =>
    execFileSync("awk", ["-F,", "{b+=$13} END {print NR}", path], { encoding: "utf8" }),
  );
  const lines = Number(awk.result.trim());
  const awkRef = { name: "awk -F, '{n++}'", value: lines / awk.seconds };
  const wcRef = { name: "wc -l", value: lines / wc.seconds };
  const awkSumRef = { name: "awk -F, '{b+=$13}'", value: lines / awkSum.seconds };
  const note =
    `${source}, ${flows.toLocaleString("en")} flows, ${mb.toFixed(0)} MB, best of 3; ` +
    `${(flows / fresh.cpuSeconds / 1e6).toFixed(2)}M flows per CPU-second`;
  return [
    {
      name: "readFlows binetflow",
      value: flows / fresh.seconds,
      unit: "flows/s",
      reference: awkRef,
      better: "higher",
      note: `${note}; ${(mb / fresh.seconds).toFixed(0)} MB/s`,
    },
    {
      name: "readFlows binetflow",
      value: flows / fresh.seconds,
      unit: "flows/s",
      reference: wcRef,
      better: "higher",
    },
    {
      name: "readFlows binetflow",
      value: flows / fresh.seconds,
      unit: "flows/s",
      reference: awkSumRef,
      better: "higher",
    },
    {
      name: "readFlows binetflow (one reused record)",
      value: flows / reused.seconds,
      unit: "flows/s",
      reference: awkRef,
      better: "higher",
      note: checksum > 0 ? undefined : "no bytes read",
    },
  ];
}
