import { type Command, Command as CommandClass, InvalidArgumentError, Option } from "commander";
import type { DetectSummary, EvaluateSummary, FlowInputOptions, InputSummary } from "../../app/flows.ts";
import { UsageError } from "../../core/errors.ts";
import { parseCidr } from "../../core/net.ts";
import { describeBadLines } from "../../ingest/bad-lines.ts";
import { BinetflowEncoder, jsonLine } from "../../ingest/capture/write.ts";
import { FLOW_FORMATS, type FlowFormat, readFlows } from "../../ingest/flows/reader.ts";
import { expandInputs } from "../../ingest/source.ts";
import { integerArg, positiveArg, timeArg } from "../args.ts";
import { action, type CommandContext } from "../context.ts";
import { isoTime, printJson, printTable, textOut } from "../output.ts";

interface InputOptions {
  format: FlowFormat;
  from?: string;
  to?: string;
  strict?: boolean;
  nfdump?: string;
  json?: boolean;
}

interface WindowCliOptions {
  window?: number;
  step?: number;
  aggregates: boolean;
}

interface LabelCliOptions {
  labels?: string;
  unlisted?: "normal" | "background";
}

function inputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--format <name>", "flow format").choices(FLOW_FORMATS).default("auto"))
    .option("--from <time>", "only flows starting at or after this time (ISO-8601 or epoch)", timeArg)
    .option("--to <time>", "only flows starting before this time", timeArg)
    .option("--nfdump <program>", "the nfdump program that reads nfcapd files")
    .option("--strict", "fail when any line is bad")
    .option("--json", "as JSON");
}

function windowOptions(cmd: Command): Command {
  return cmd
    .option("--window <seconds>", "window length (default from the configuration, 300)", positiveArg)
    .option("--step <seconds>", "start of one window to the next (default 150)", positiveArg)
    .option("--no-aggregates", "per-flow features only, without the host-in-window aggregates");
}

function labelOptions(cmd: Command): Command {
  return cmd
    .option("--labels <file>", "host,from,to[,class] ranges (default: the CTU-13 Label column)")
    .addOption(
      new Option("--unlisted <class>", "class of flows no --labels range covers")
        .choices(["normal", "background"])
        .default("normal"),
    );
}

/** The flow pipelines (features, the forest), loaded when a command needs them: `flows convert` does not. */
const app = () => import("../../app/flows.ts");

function flowInput(files: string[], o: InputOptions): FlowInputOptions {
  const from = o.from ? Date.parse(o.from) / 1000 : undefined;
  const to = o.to ? Date.parse(o.to) / 1000 : undefined;
  if (from !== undefined && to !== undefined && !(from < to))
    throw new UsageError("--from must be before --to");
  return { files: expandInputs(files), format: o.format, from, to, strict: o.strict, nfdump: o.nfdump };
}

function windowing(ctx: CommandContext, o: WindowCliOptions) {
  const windowSeconds = o.window ?? ctx.config.flows.windowSeconds;
  const stepSeconds = o.step ?? ctx.config.flows.stepSeconds;
  if (stepSeconds > windowSeconds) {
    throw new UsageError(`--step (${stepSeconds}) longer than --window (${windowSeconds}) would skip flows`);
  }
  return { windowSeconds, stepSeconds, aggregates: o.aggregates };
}

function internalNets(ctx: CommandContext, given?: string[]): string[] {
  const nets = given?.length
    ? given
        .flatMap((g) => g.split(","))
        .map((s) => s.trim())
        .filter(Boolean)
    : ctx.config.flows.internal;
  for (const n of nets) {
    if (!parseCidr(n)) {
      throw new UsageError(
        `--internal: not an IPv4 CIDR: ${n} (it takes several values: put the files first, or use --internal=A,B)`,
      );
    }
  }
  return nets;
}

function probabilityArg(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("expected a probability in [0, 1]");
  return n;
}

function printInput(s: InputSummary): void {
  const w = s.windowing;
  process.stdout.write(
    `${s.lines} lines, ${s.flows} flows (format ${s.format}), ${s.badLines.total} bad, ${s.outsideTime} outside --from/--to\n` +
      `${w.kept} flows used (${w.noPackets} without packets, ${w.noDirection} without direction, ${w.late} late), ${w.windows} windows, ${w.rows} rows\n`,
  );
  const bad = describeBadLines(s.badLines);
  if (bad.length) process.stdout.write(`bad lines (skipped):\n${bad.map((l) => `  ${l}\n`).join("")}`);
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

function printDetect(s: DetectSummary): void {
  printInput(s);
  process.stdout.write(
    `models: ${s.models.map((m) => `${m.name} (${m.trees} trees, ${m.windowSeconds}/${m.stepSeconds} s)`).join(", ")}` +
      `${s.skipped.length ? `; skipped (not models): ${s.skipped.join(", ")}` : ""}\n` +
      `internal: ${s.internal.join(", ")}; ${s.windows} windows in ${s.seconds.toFixed(1)} s\n`,
  );
  const shown = s.hosts.filter((h) => h.worst !== "clear" || h.botnetFlows > 0).slice(0, 40);
  if (shown.length) {
    printTable(
      [
        "host",
        "model",
        "worst",
        "now",
        "first red",
        "red win",
        "max score",
        "botnet flows",
        "flows",
        "reason",
      ],
      shown.map((h) => [
        h.host,
        h.model,
        h.worst,
        h.status,
        isoTime(h.firstRed),
        h.redWindows,
        h.maxScore,
        h.botnetFlows,
        h.flows,
        h.worstReason,
      ]),
    );
  } else process.stdout.write("no internal host had a flow predicted botnet\n");
  process.stdout.write(`red: ${s.red.length ? s.red.join(", ") : "none"}\n`);
  if (s.yellow.length) process.stdout.write(`yellow: ${s.yellow.join(", ")}\n`);
  if (s.runId !== null) process.stdout.write(`stored as flow run ${s.runId}\n`);
}

function printEvaluate(s: EvaluateSummary): void {
  printInput(s);
  const f = s.perFlow;
  process.stdout.write(
    `model ${s.model}, labels from ${s.labels}, ${s.windows} windows\n` +
      `flows (per flow and window, ${f.rows} labelled rows): precision ${pct(f.precision)}, recall ${pct(f.recall)}, F1 ${pct(f.f1)} (tp ${f.tp}, fp ${f.fp}, fn ${f.fn}, tn ${f.tn})\n`,
  );
  printTable(
    ["Garcia et al. per IP and window", "TPR", "FPR", "precision", "F1"],
    [
      [
        "any flow predicted botnet",
        pct(s.garcia.tpr),
        pct(s.garcia.fpr),
        pct(s.garcia.precision),
        pct(s.garcia.f1),
      ],
      [
        "host status red",
        pct(s.garciaByStatus.tpr),
        pct(s.garciaByStatus.fpr),
        pct(s.garciaByStatus.precision),
        pct(s.garciaByStatus.f1),
      ],
    ],
  );
  printTable(
    ["labelled host", "truth", "worst status", "red windows"],
    s.hosts.map((h) => [h.host, h.truth, h.worst, h.redWindows]),
  );
}

export function flowsCommand(): Command {
  const cmd = new CommandClass("flows").description(
    "infected hosts from network flows (botd): features, models, detection, evaluation",
  );

  labelOptions(
    windowOptions(
      inputOptions(
        cmd
          .command("features")
          .description(
            "the exact matrix the models see, as CSV with a label column (1 botnet, 0 normal, -1 other)",
          )
          .argument("<files...>", "flow files, globs, .gz, or - for stdin"),
      ),
    ),
  )
    .requiredOption("--out <file>", "CSV file to write ('-' for stdout)")
    .option("--all", "every row, also background (label -1); default only labelled rows, as training sees")
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: InputOptions & WindowCliOptions & LabelCliOptions & { out: string; all?: boolean },
        ) => {
          const input = flowInput(files, o);
          const out = textOut(o.out);
          const s = await (await app()).writeFlowFeatures({
            ...input,
            ...windowing(ctx, o),
            labelsFile: o.labels,
            unlisted: o.unlisted,
            all: o.all,
            write: (text) => out.write(text),
          });
          await out.close();
          if (o.out === "-") return;
          if (ctx.json) return printJson({ out: o.out, ...s });
          printInput(s);
          process.stdout.write(
            `wrote ${s.rows} rows x ${s.columns.length - 1} features + label to ${o.out} (labels from ${s.labels}: ${s.byLabel.botnet} botnet, ${s.byLabel.normal} normal, ${s.byLabel.background} other)\n`,
          );
        },
      ),
    );

  labelOptions(
    windowOptions(
      inputOptions(
        cmd
          .command("train")
          .description(
            "train a random forest on labelled flows (botnet vs normal; background excluded, as botd)",
          )
          .argument("<files...>", "flow files, globs, .gz, or - for stdin"),
      ),
    ),
  )
    .requiredOption(
      "--model <file>",
      "model file to write (conventionally NAME.forest in the models directory)",
    )
    .option("--seed <n>", "random seed", integerArg, 1)
    .option("--balanced", "bootstrap as many botnet as normal rows per tree")
    .option("--trees <n>", "trees", integerArg, 100)
    .option("--max-depth <n>", "limit tree depth", integerArg)
    .option("--jobs <n>", "threads (default: all cores)", integerArg)
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: InputOptions &
            WindowCliOptions &
            LabelCliOptions & {
              model: string;
              seed: number;
              balanced?: boolean;
              trees: number;
              maxDepth?: number;
              jobs?: number;
            },
        ) => {
          if (o.trees < 1) throw new UsageError("--trees must be at least 1");
          if (o.jobs !== undefined && o.jobs < 1) throw new UsageError("--jobs must be at least 1");
          const s = await (await app()).trainFlows({
            ...flowInput(files, o),
            ...windowing(ctx, o),
            labelsFile: o.labels,
            unlisted: o.unlisted,
            modelPath: o.model,
            seed: o.seed,
            balanced: o.balanced,
            trees: o.trees,
            maxDepth: o.maxDepth,
            jobs: o.jobs,
          });
          if (ctx.json) return printJson(s);
          printInput(s);
          process.stdout.write(
            `trained ${s.trees} trees (${s.nodes} nodes) on ${s.rows} rows x ${s.features} features ` +
              `(${s.byLabel.botnet} botnet, ${s.byLabel.normal} normal; labels from ${s.labels}) in ${s.seconds.training.toFixed(2)} s\n` +
              `top features: ${s.topFeatures.map((f) => `${f.name} ${f.importance.toFixed(3)}`).join(", ")}\n` +
              `model written to ${s.model}\n`,
          );
        },
      ),
    );

  inputOptions(
    cmd
      .command("detect")
      .description("per internal host and window: predicted-botnet flows, score and red/yellow/clear status")
      .argument("<files...>", "flow files, globs, .gz, or - for stdin"),
  )
    .requiredOption("--models <dir>", "directory of models (files in DIR/unused/ are ignored)")
    .option("--internal <cidr...>", "internal networks (default from the configuration: RFC 1918)")
    .option("--threshold <p>", "botnet probability from which a flow counts as botnet", probabilityArg, 0.5)
    .option("--jobs <n>", "threads for prediction (default: all cores)", integerArg)
    .option("--timeline", "per-window scores of every host in the JSON (default: suspicious hosts only)")
    .option("--store", "store the run and the host scores (hosts hashed and encrypted)")
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: InputOptions & {
            models: string;
            internal?: string[];
            threshold: number;
            jobs?: number;
            timeline?: boolean;
            store?: boolean;
          },
        ) => {
          const s = await (await app()).detectFlows({
            ...flowInput(files, o),
            modelsDir: o.models,
            internal: internalNets(ctx, o.internal),
            threshold: o.threshold,
            jobs: o.jobs,
            fullTimeline: o.timeline,
            store: o.store ? { store: await ctx.store(), config: ctx.config } : undefined,
          });
          if (ctx.json) return printJson(s);
          printDetect(s);
        },
      ),
    );

  labelOptions(
    inputOptions(
      cmd
        .command("evaluate")
        .description("per-flow precision/recall/F1 and Garcia et al. (2014) per-IP time-weighted metrics")
        .argument("<files...>", "labelled flow files, globs, .gz, or - for stdin"),
    ),
  )
    .requiredOption("--model <file>", "model file")
    .option("--internal <cidr...>", "internal networks, for the host status (default: RFC 1918)")
    .option("--threshold <p>", "botnet probability from which a flow counts as botnet", probabilityArg, 0.5)
    .option("--jobs <n>", "threads for prediction (default: all cores)", integerArg)
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: InputOptions &
            LabelCliOptions & { model: string; internal?: string[]; threshold: number; jobs?: number },
        ) => {
          const s = await (await app()).evaluateFlows({
            ...flowInput(files, o),
            labelsFile: o.labels,
            unlisted: o.unlisted,
            modelPath: o.model,
            internal: internalNets(ctx, o.internal),
            threshold: o.threshold,
            jobs: o.jobs,
          });
          if (ctx.json) return printJson(s);
          printEvaluate(s);
        },
      ),
    );
  cmd
    .command("convert")
    .description("flows of captures (pcap, pcapng) or any flow file as Argus binetflow or JSON lines")
    .argument("<files...>", "captures or flow files, globs")
    .addOption(
      new Option("--to <format>", "output format").choices(["binetflow", "json"]).default("binetflow"),
    )
    .requiredOption("--out <file>", "file to write ('-' for stdout)")
    .addOption(new Option("--format <name>", "input format").choices(FLOW_FORMATS).default("auto"))
    .option("--idle-timeout <seconds>", "captures: seconds without a packet that end a flow", positiveArg, 60)
    .option(
      "--active-timeout <seconds>",
      "captures: seconds after which a long flow is cut",
      positiveArg,
      3600,
    )
    .option(
      "--status-interval <seconds>",
      "captures: flow records as argus -S makes them (records of at most this long, Argus's timeouts; " +
        "replaces the two timeouts above; 3600 gives CTU-13-like flows)",
      positiveArg,
    )
    .option("--nfdump <program>", "the nfdump program that reads nfcapd files")
    .option("--json", "summary as JSON")
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: {
            to: "binetflow" | "json";
            out: string;
            format: FlowFormat;
            idleTimeout: number;
            activeTimeout: number;
            statusInterval?: number;
            nfdump?: string;
          },
        ) => {
          const out = textOut(o.out);
          // binetflow lines go straight into bytes (those of captures straight from the flow table's
          // rows); JSON lines are collected per batch and joined once
          const binetflow = o.to === "binetflow" ? new BinetflowEncoder() : null;
          binetflow?.header();
          let lines: string[] = [];
          const flush = async () => {
            if (binetflow) {
              if (binetflow.length) await out.write(binetflow.take());
            } else if (lines.length) {
              const text = `${lines.join("\n")}\n`;
              lines = [];
              await out.write(text);
            }
          };
          const s = await readFlows(
            expandInputs(files),
            {
              format: o.format,
              nfdump: o.nfdump,
              idleTimeout: o.idleTimeout,
              activeTimeout: o.activeTimeout,
              statusInterval: o.statusInterval,
              // each flow becomes its line at once: one reused record
              reuseRecord: true,
              captureBinetflow: binetflow ?? undefined,
            },
            (f) => {
              if (binetflow) binetflow.line(f);
              else lines.push(jsonLine(f));
            },
            flush,
          );
          await flush();
          await out.close();
          if (o.out === "-") return;
          const summary = {
            out: o.out,
            to: o.to,
            format: s.format,
            flows: s.flows,
            badLines: s.bad.toJSON(),
            captures: s.captures ?? {},
          };
          if (ctx.json) return printJson(summary);
          process.stdout.write(`wrote ${s.flows} flows (input format ${s.format}) to ${o.out} as ${o.to}\n`);
          for (const [file, c] of Object.entries(s.captures ?? {})) {
            process.stdout.write(
              `${file}: ${c.packets} packets (${c.format}), ${c.flowPackets} in flows, ${c.fragments} later fragments, ` +
                `${c.truncated} truncated, ${c.nonIp} not IP, ${c.unknownLink} unknown link type, ` +
                `${c.garbageBytes} garbage bytes\n`,
            );
          }
          const bad = describeBadLines(s.bad.toJSON());
          if (bad.length)
            process.stdout.write(`bad input (skipped):\n${bad.map((l) => `  ${l}\n`).join("")}`);
        },
      ),
    );
  return cmd;
}
