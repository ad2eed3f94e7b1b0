/**
 * Child process of the capture benchmark (a fresh heap and JIT per setting): reads one capture RUNS
 * times in-process, with readCaptureFlows or the `flows convert` command, and prints the best run as
 * JSON. Usage: capture-run.ts CAPTURE read|convert OPTIONS_JSON RUNS
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { flowsCommand } from "../src/cli/commands/flows.ts";
import { type CaptureReadOptions, readCaptureFlows } from "../src/ingest/capture/index.ts";

const [file, mode, optionsJson, runsText] = process.argv.slice(2);
const opts = JSON.parse(optionsJson) as CaptureReadOptions;

/** `botscope flows convert` as the CLI runs it (its summary line kept off this process's output). */
async function convert(out: string): Promise<void> {
  const program = new Command("botscope").option("--config <file>").option("--db <url>");
  program.addCommand(flowsCommand());
  const extra = opts.statusInterval ? ["--status-interval", String(opts.statusInterval)] : [];
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await program.parseAsync(["flows", "convert", file, "--to", "binetflow", "--out", out, ...extra], {
      from: "user",
    });
  } finally {
    process.stdout.write = write;
  }
}

let best = { seconds: Number.POSITIVE_INFINITY, cpuSeconds: 0, packets: 0, flows: 0 };
const out = join(tmpdir(), `botscope-bench-${process.pid}.binetflow`);
for (let i = 0; i < Number(runsText); i++) {
  let flows = 0;
  let packets = 0;
  const cpu = process.cpuUsage();
  const t = performance.now();
  if (mode === "convert") await convert(out);
  else {
    const s = await readCaptureFlows(file, opts, () => {
      flows++;
    });
    packets = s.packets;
  }
  const seconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  if (seconds < best.seconds) best = { seconds, cpuSeconds: (used.user + used.system) / 1e6, packets, flows };
}
rmSync(out, { force: true });
process.stdout.write(JSON.stringify(best));
