/**
 * Capture flows, botscope against Argus: `npx tsx bench/capture-vs-argus.ts [--examples N]
 * [capture ...]`. Without captures: a simulated capture (1 hour, written once to the temp dir) and the
 * real ../shared/data/periodicity/*.pcap when present. Per capture and setting (SETTINGS: Argus's
 * record model at -S 5 and -S 3600, botscope's defaults) it prints flow counts, packets and bytes per
 * protocol on both sides and the per-record match (protocol, addresses, ports, start time).
 */
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compareFlows,
  type FlowComparison,
  findArgus,
  parseRaCsv,
  runArgus,
} from "../src/ingest/capture/argus.ts";
import { type CaptureReadOptions, readCaptureFlows } from "../src/ingest/capture/index.ts";
import { binetflowLine } from "../src/ingest/capture/write.ts";
import type { Flow } from "../src/ingest/flows/record.ts";
import { writeSimulatedCapture } from "../src/simulate/capture.ts";

const here = dirname(fileURLToPath(import.meta.url));
const REAL_DIR = join(here, "../../shared/data/periodicity");

/** The default inputs: a simulated hour (made once) and the real captures when present. */
export function defaultCaptures(hours = 1): string[] {
  const dir = join(tmpdir(), "botscope-bench");
  mkdirSync(dir, { recursive: true });
  const sim = join(dir, `simulated-${hours}h.pcap`);
  if (!existsSync(sim) || statSync(sim).size === 0) writeSimulatedCapture(sim, { seed: 1, hours });
  const real = existsSync(REAL_DIR)
    ? readdirSync(REAL_DIR)
        .filter((f) => f.endsWith(".pcap"))
        .sort()
        .map((f) => join(REAL_DIR, f))
    : [];
  return [sim, ...real];
}

async function ours(file: string, o: CaptureReadOptions): Promise<Flow[]> {
  const flows: Flow[] = [];
  await readCaptureFlows(file, o, (f) => flows.push(f));
  return flows;
}

function pct(a: number, b: number): string {
  return b === 0 ? "-" : `${((100 * a) / b).toFixed(2)}%`;
}

function report(name: string, c: FlowComparison, examples: number): void {
  const protos = [...new Set([...Object.keys(c.ours.byProto), ...Object.keys(c.argus.byProto)])].sort();
  process.stdout.write(`  ${name}\n`);
  process.stdout.write(
    `    total      flows ${c.ours.flows} / argus ${c.argus.flows}   packets ${c.ours.packets} / ${c.argus.packets}   bytes ${c.ours.bytes} / ${c.argus.bytes}\n`,
  );
  for (const p of protos) {
    const o = c.ours.byProto[p] ?? { flows: 0, packets: 0, bytes: 0 };
    const a = c.argus.byProto[p] ?? { flows: 0, packets: 0, bytes: 0 };
    process.stdout.write(
      `    ${p.padEnd(10)} flows ${o.flows} / ${a.flows}   packets ${o.packets} / ${a.packets}   bytes ${o.bytes} / ${a.bytes}\n`,
    );
  }
  const d = c.differ;
  process.stdout.write(
    `    matched ${c.matched} (${pct(c.matched, c.argus.flows)} of argus's; ${c.reversed} reversed), times shifted ${c.shifted}, only ours ${c.onlyOurs}, only argus ${c.onlyArgus}\n` +
      `    matched but different: packets ${d.packets}, bytes ${d.bytes}, src bytes ${d.srcBytes}, state ${d.state}, dir ${d.dir}, duration ${d.duration}\n`,
  );
  if (examples > 0) {
    for (const f of c.examples.ours) process.stdout.write(`      ours only:  ${binetflowLine(f)}\n`);
    for (const f of c.examples.argus) process.stdout.write(`      argus only: ${binetflowLine(f)}\n`);
    for (const [o, a] of c.examples.differ)
      process.stdout.write(
        `      differ: ours  ${binetflowLine(o)}\n              argus ${binetflowLine(a)}\n`,
      );
  }
}

/** The settings compared: argus -S and botscope's options. */
export const SETTINGS: { name: string; argusS: number; ours: CaptureReadOptions }[] = [
  { name: "argus -S 5 vs botscope --status-interval 5", argusS: 5, ours: { statusInterval: 5 } },
  { name: "argus -S 3600 vs botscope --status-interval 3600", argusS: 3600, ours: { statusInterval: 3600 } },
  { name: "argus -S 3600 vs botscope defaults (idle 60 s, records <= 3600 s)", argusS: 3600, ours: {} },
];

/** Each setting's comparison on one capture; undefined when argus is not installed. */
export async function compareCapture(file: string, examples: number): Promise<FlowComparison[] | undefined> {
  const tools = findArgus();
  if (!tools) return undefined;
  const out: FlowComparison[] = [];
  const argusRuns = new Map<number, Flow[]>();
  for (const s of SETTINGS) {
    let a = argusRuns.get(s.argusS);
    if (!a) {
      a = parseRaCsv(runArgus(tools, file, { statusInterval: s.argusS }));
      argusRuns.set(s.argusS, a);
    }
    out.push(compareFlows(await ours(file, s.ours), a, examples));
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  let examples = 3;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--examples") examples = Number(args[++i]);
    else files.push(args[i]);
  }
  if (!findArgus()) {
    process.stderr.write(
      "argus and ra are not installed (Debian: apt-get install argus-server argus-client)\n",
    );
    process.exit(2);
  }
  for (const file of files.length ? files : defaultCaptures()) {
    process.stdout.write(`## ${file}\n`);
    const r = await compareCapture(file, examples);
    r?.forEach((c, i) => {
      report(SETTINGS[i].name, c, examples);
    });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
