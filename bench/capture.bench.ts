/**
 * Captures to flows: packets per second of botscope against Argus (argus + ra, Debian argus-server and
 * argus-client) on the same capture, measured in the same run. Inputs: a simulated capture of about
 * 1.5M packets (2 hours of src/simulate traffic as packets, written once to the temp dir) and the real
 * ../shared/data/periodicity/*.pcap when present. botscope runs in a child process per setting
 * (bench/capture-run.ts). botscope and argus take turns over 3 rounds, so a drift of the shared machine's
 * speed affects both alike; figures are best wall times (botscope: of 3 rounds of 4 runs, argus + ra: of 3):
 * - readCaptureFlows with Argus's record model at -S 5 (--status-interval 5) against
 *   `argus -S 5 -r X -w F` then `ra -r F` printing CSV (the two timed one after the other) and against
 *   `argus -S 5 -w - | ra -r -` (both at once on two cores); the faster of those that printed every
 *   record counts as the reference (argus drops records when ra reads its pipe more slowly than it
 *   writes: "max queue exceeded"; at -S 5 the pipeline printed 10-20% of the 462,423 records);
 * - readCaptureFlows with botscope's defaults against argus -S 3600 + ra (records of up to an hour, as
 *   CTU-13's flows were made);
 * - `botscope flows convert X --to binetflow` (the command, writing the file) against the same, and
 *   with --status-interval 5 against argus -S 5 + ra (the like-for-like commands: both print records).
 * - the same two commands as one `botscope` process each (bin/botscope.js: its start, the JIT's
 *   warm-up and one run: what a user waits for), timed like argus and ra.
 * Before each timed command the capture is read through once (see cached).
 * Notes give the CPU time of both sides (steadier than wall time on a shared machine) and flow counts.
 * Without argus/ra, botscope's figures are printed without a reference.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ArgusTools, argusArgs, findArgus, raArgs } from "../src/ingest/capture/argus.ts";
import type { CaptureReadOptions } from "../src/ingest/capture/index.ts";
import { writeSimulatedCapture } from "../src/simulate/capture.ts";
import type { Figure } from "./run.ts";

const here = dirname(fileURLToPath(import.meta.url));
const REAL_DIR = join(here, "../../shared/data/periodicity");
const SIM_HOURS = 2;
/**
 * Rounds in which each side runs once; botscope's child runs RUNS times: the in-process rows are the
 * library's speed once the JIT has compiled it (a fresh process's runs took 480, 364, 309, 313 ms at
 * -S 5: it settles by the third); the one-process rows are the cold case, start and warm-up included.
 */
const ROUNDS = 3;
const RUNS = 4;

interface Timing {
  seconds: number;
  cpuSeconds: number;
}

function best<T extends Timing>(a: T[]): T {
  return a.reduce((x, y) => (y.seconds < x.seconds ? y : x));
}

/**
 * Reads the capture through once, so that the run timed next finds all of it in the page cache (this
 * machine's memory manager takes unused cache back within seconds: a run that reads part of the 1.6 GB
 * from disk measures the disk).
 */
function cached(path: string): void {
  const buf = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, "r");
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

/** Best of RUNS in a child process (bench/capture-run.ts: its own heap and JIT per setting). */
function timeOurs(
  pcap: string,
  mode: "read" | "convert",
  opts: CaptureReadOptions,
): Timing & { packets: number; flows: number } {
  cached(pcap);
  const out = execFileSync(
    process.execPath,
    ["--import", "tsx", join(here, "capture-run.ts"), pcap, mode, JSON.stringify(opts), String(RUNS)],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(out);
}

/** One shell command line under /usr/bin/time: wall and CPU seconds (children included). */
function timeShell(line: string): Timing {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S", "sh", "-c", line], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`capture bench: ${line} failed: ${r.stderr}`);
  const [e, u, s] = r.stderr.trim().split("\n").pop()?.split(" ").map(Number) ?? [];
  return { seconds: e, cpuSeconds: u + s };
}

/** `botscope flows convert` as a user runs it: one process (its start and the JIT's warm-up included). */
function timeCommand(pcap: string, statusInterval: number | undefined, dir: string): Timing {
  const out = join(dir, "bench-cli.binetflow");
  const args = [process.execPath, join(here, "../bin/botscope.js"), "flows", "convert", pcap, "--out", out];
  if (statusInterval) args.push("--status-interval", String(statusInterval));
  cached(pcap);
  const t = timeShell(`${args.map(quote).join(" ")} > /dev/null`);
  rmSync(out, { force: true });
  return t;
}

function quote(a: string): string {
  return `'${a.replaceAll("'", "'\\''")}'`;
}

/** Lines of a text file (ra's CSV: a header, then a line a record). */
function countLines(path: string): number {
  const buf = Buffer.allocUnsafe(1 << 22);
  const fd = openSync(path, "r");
  let lines = 0;
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null))
      for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
  } finally {
    closeSync(fd);
  }
  return lines;
}

type ArgusTiming = Timing & { records: number };

/**
 * argus then ra (two commands, times added) and argus | ra (one pipeline), once each; ra's CSV goes to
 * a file (as botscope's convert writes one) whose records are counted.
 */
function timeArgus(tools: ArgusTools, pcap: string, statusInterval: number, dir: string) {
  const out = join(dir, "bench.argus");
  const csv = join(dir, "bench-ra.csv");
  const ra = (file: string) => [tools.ra, ...raArgs(file)].map(quote).join(" ");
  rmSync(out, { force: true });
  cached(pcap);
  const a = timeShell([tools.argus, ...argusArgs(pcap, out, { statusInterval })].map(quote).join(" "));
  const r = timeShell(`${ra(out)} > ${quote(csv)}`);
  const sequential: ArgusTiming = {
    seconds: a.seconds + r.seconds,
    cpuSeconds: a.cpuSeconds + r.cpuSeconds,
    records: countLines(csv) - 1,
  };
  rmSync(out, { force: true });
  const argusToStdout = [tools.argus, ...argusArgs(pcap, "-", { statusInterval })].map(quote).join(" ");
  cached(pcap);
  const piped: ArgusTiming = { ...timeShell(`${argusToStdout} | ${ra("-")} > ${quote(csv)}`), records: 0 };
  piped.records = countLines(csv) - 1;
  rmSync(csv, { force: true });
  return { sequential, piped };
}

/**
 * The faster way of running argus and ra, best over the rounds, of the runs that printed every record
 * (as many as the most any run printed); `lost` says what the pipeline dropped when it did.
 */
function bestArgus(rounds: ReturnType<typeof timeArgus>[]) {
  const all = rounds.flatMap((x) => [x.sequential, x.piped]);
  const records = Math.max(...all.map((t) => t.records));
  const sequential = rounds.map((x) => x.sequential);
  const s = best(
    sequential.some((t) => t.records === records)
      ? sequential.filter((t) => t.records === records)
      : sequential,
  );
  const complete = rounds.map((x) => x.piped).filter((t) => t.records === records);
  const fewest = Math.min(...rounds.map((x) => x.piped.records));
  const lost =
    fewest < records
      ? `; argus | ra printed as few as ${fewest.toLocaleString("en")} of the records: not counted`
      : "";
  const p = complete.length ? best(complete) : undefined;
  return p && p.seconds < s.seconds
    ? { how: "argus | ra", lost, ...p }
    : { how: "argus then ra", lost, ...s };
}

function captures(dir: string): { path: string; name: string }[] {
  const sim = join(dir, `simulated-${SIM_HOURS}h.pcap`);
  if (!existsSync(sim) || statSync(sim).size === 0) writeSimulatedCapture(sim, { seed: 1, hours: SIM_HOURS });
  const real = existsSync(REAL_DIR)
    ? readdirSync(REAL_DIR)
        .filter((f) => f.endsWith(".pcap"))
        .sort()
    : [];
  return [
    { path: sim, name: `simulated ${SIM_HOURS} h` },
    ...real.map((f) => ({ path: join(REAL_DIR, f), name: f })),
  ];
}

export async function run(): Promise<Figure[]> {
  const dir = join(tmpdir(), "botscope-bench");
  mkdirSync(dir, { recursive: true });
  const tools = findArgus();
  const figures: Figure[] = [];
  for (const cap of captures(dir)) {
    const ours: Record<"s5" | "dflt" | "conv" | "conv5", ReturnType<typeof timeOurs>[]> = {
      s5: [],
      dflt: [],
      conv: [],
      conv5: [],
    };
    const argus: Record<"s5" | "s3600", ReturnType<typeof timeArgus>[]> = { s5: [], s3600: [] };
    const command: Record<"s5" | "dflt", Timing[]> = { s5: [], dflt: [] };
    for (let round = 0; round < ROUNDS; round++) {
      ours.s5.push(timeOurs(cap.path, "read", { statusInterval: 5 }));
      ours.conv5.push(timeOurs(cap.path, "convert", { statusInterval: 5 }));
      command.s5.push(timeCommand(cap.path, 5, dir));
      if (tools) argus.s5.push(timeArgus(tools, cap.path, 5, dir));
      ours.dflt.push(timeOurs(cap.path, "read", {}));
      ours.conv.push(timeOurs(cap.path, "convert", {}));
      command.dflt.push(timeCommand(cap.path, undefined, dir));
      if (tools) argus.s3600.push(timeArgus(tools, cap.path, 3600, dir));
    }
    const s5 = best(ours.s5);
    const dflt = best(ours.dflt);
    const conv = best(ours.conv);
    const conv5 = best(ours.conv5);
    const cmd5 = best(command.s5);
    const cmd = best(command.dflt);
    const packets = dflt.packets;
    const mb = statSync(cap.path).size / 1e6;
    const what = `${cap.name}: ${packets.toLocaleString("en")} packets, ${mb.toFixed(0)} MB`;
    const cpu = (t: Timing) =>
      t.cpuSeconds > 0
        ? `${(packets / t.cpuSeconds / 1e6).toFixed(2)}M packets per CPU-second`
        : "no CPU time";
    const a5 = tools ? bestArgus(argus.s5) : undefined;
    const a3600 = tools ? bestArgus(argus.s3600) : undefined;
    const ref = (a: typeof a5, s: number) =>
      a ? { name: `argus -S ${s} + ra (${a.how})`, value: packets / a.seconds } : undefined;
    const argusCpu = (a: typeof a5) =>
      a
        ? `; argus + ra ${cpu(a)}, ${a.records.toLocaleString("en")} records in ${a.seconds.toFixed(2)} s${a.lost}`
        : "; argus/ra not installed";
    figures.push(
      {
        name: `readCaptureFlows --status-interval 5, ${cap.name}`,
        value: packets / s5.seconds,
        unit: "packets/s",
        reference: ref(a5, 5),
        better: "higher",
        note: `${what}, ${s5.flows.toLocaleString("en")} records; botscope ${cpu(s5)}${argusCpu(a5)}`,
      },
      {
        name: `readCaptureFlows defaults, ${cap.name}`,
        value: packets / dflt.seconds,
        unit: "packets/s",
        reference: ref(a3600, 3600),
        better: "higher",
        note: `${dflt.flows.toLocaleString("en")} flows; botscope ${cpu(dflt)}${argusCpu(a3600)}`,
      },
      {
        name: `flows convert --status-interval 5 --to binetflow, ${cap.name}`,
        value: packets / conv5.seconds,
        unit: "packets/s",
        reference: ref(a5, 5),
        better: "higher",
        note: `botscope ${cpu(conv5)}`,
      },
      {
        name: `flows convert --to binetflow, ${cap.name}`,
        value: packets / conv.seconds,
        unit: "packets/s",
        reference: ref(a3600, 3600),
        better: "higher",
        note: `botscope ${cpu(conv)}`,
      },
      {
        name: `botscope flows convert --status-interval 5 (one process), ${cap.name}`,
        value: packets / cmd5.seconds,
        unit: "packets/s",
        reference: ref(a5, 5),
        better: "higher",
        note: `${cmd5.seconds.toFixed(2)} s; botscope ${cpu(cmd5)}`,
      },
      {
        name: `botscope flows convert (one process), ${cap.name}`,
        value: packets / cmd.seconds,
        unit: "packets/s",
        reference: ref(a3600, 3600),
        better: "higher",
        note: `${cmd.seconds.toFixed(2)} s; botscope ${cpu(cmd)}`,
      },
    );
  }
  return figures;
}
