/**
 * `botscope beacons FILE...`: periodic contacts (p2p keep-alives, C&C beacons) from flows.
 * `--mode keepalive` (default) runs the improved detector; `--mode relbot` reproduces relbot's
 * timedetector byte for byte (`--output relbot`). `--report cch` turns the hosts into clearing-house
 * reports, written to a file and/or POSTed with retries and a spool.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { type Command, Command as CommandClass, InvalidArgumentError, Option } from "commander";
import {
  BEACON_MODES,
  type BeaconsMode,
  type BeaconsRun,
  beaconReports,
  runBeacons,
} from "../../app/beacons.ts";
import { ipHasher } from "../../app/keys.ts";
import { storePeriodicityRun } from "../../app/periodicity.ts";
import { UsageError, UserError } from "../../core/errors.ts";
import { describeBadLines } from "../../ingest/bad-lines.ts";
import { FLOW_FORMATS, type FlowFormat } from "../../ingest/flows/reader.ts";
import { expandInputs } from "../../ingest/source.ts";
import { defaultAllowlist, parseAllowlist } from "../../periodicity/allowlist.ts";
import { formatKeepAliveRelbotText, type KeepAliveOptions } from "../../periodicity/keepalive.ts";
import {
  formatCppFloat,
  formatRelbotText,
  isRelbotConfigObject,
  parseRelbotConfig,
  RELBOT_DEFAULTS,
  type RelbotConfig,
  toRelbotJson,
  validateRelbotConfig,
} from "../../periodicity/relbot.ts";
import { formatCchReports, IP_MODES, type IpMode } from "../../report/cch.ts";
import { submitReports } from "../../report/cch-submit.ts";
import { integerArg, nonNegativeArg } from "../args.ts";
import { action, type CommandContext } from "../context.ts";
import { printJson, printTable } from "../output.ts";
import { progress } from "../progress.ts";

export const BEACON_OUTPUTS = ["relbot", "json", "table"] as const;
type BeaconOutput = (typeof BEACON_OUTPUTS)[number];

interface BeaconsCliOptions {
  format: FlowFormat;
  mode: BeaconsMode;
  timedetectorConfig?: string;
  output?: BeaconOutput;
  periods?: number[] | "auto";
  minPeriod?: number;
  maxPeriod?: number;
  tolerance?: number;
  minBeats?: number;
  minConfidence?: number;
  mergeBidirectional?: boolean;
  mergeWindow?: number;
  allowServices?: string;
  report?: "cch";
  minIdx: number;
  ipMode: IpMode;
  confidence?: number;
  reportType?: string;
  reportOut?: string;
  submit?: string;
  tokenEnv: string;
  tokenHeader?: string;
  spool: string;
  retries: number;
  retryDelay: number;
  strict?: boolean;
  store?: boolean;
  nfdump?: string;
  json?: boolean;
}

/** "600000,900000" (ms), durations "10m,15m", or "auto". */
export function periodsArg(value: string): number[] | "auto" {
  if (value.trim().toLowerCase() === "auto") return "auto";
  const out = value.split(",").map((s) => durationMs(s.trim()));
  if (out.length === 0 || out.some((p) => !Number.isSafeInteger(p) || p < 1))
    throw new InvalidArgumentError(
      "expected 'auto' or a comma-separated list of periods (ms, or 30s, 10m, 1h)",
    );
  return out;
}

/** A duration: plain number = ms; with a unit ms, s, m, h, d. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/i.exec(text);
  if (!m) return Number.NaN;
  const unit = (m[2] ?? "ms").toLowerCase();
  const k =
    unit === "ms"
      ? 1
      : unit === "s"
        ? 1000
        : unit === "m" || unit === "min"
          ? 60_000
          : unit === "h"
            ? 3_600_000
            : 86_400_000;
  return Math.round(Number(m[1]) * k);
}

function durationArg(value: string): number {
  const ms = durationMs(value);
  if (!(ms > 0)) throw new InvalidArgumentError("expected a duration: ms, or with a unit (30s, 10m, 1h)");
  return ms;
}

function fractionArg(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("expected a number in [0, 1]");
  return n;
}

function positiveIntArg(value: string): number {
  const n = integerArg(value);
  if (n < 1) throw new InvalidArgumentError("expected an integer >= 1");
  return n;
}

/** Whether a file holds a timedetector configuration (JSON with "times" or relbot's coefficients). */
export function isRelbotConfigFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    return isRelbotConfigObject(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    return false;
  }
}

function relbotConfigFor(o: BeaconsCliOptions): RelbotConfig {
  let config: RelbotConfig = { ...RELBOT_DEFAULTS, periods: [...RELBOT_DEFAULTS.periods] };
  if (o.timedetectorConfig) {
    let text: string;
    try {
      text = readFileSync(o.timedetectorConfig, "utf8");
    } catch (e) {
      throw new UserError(`${o.timedetectorConfig}: ${(e as Error).message}`);
    }
    config = parseRelbotConfig(text, o.timedetectorConfig);
  }
  if (o.periods === "auto")
    throw new UsageError("--periods auto is for --mode keepalive (relbot tests fixed periods)");
  if (o.periods) config = validateRelbotConfig({ ...config, periods: o.periods }, "--periods");
  return config;
}

function keepAliveOptionsFor(o: BeaconsCliOptions): Partial<KeepAliveOptions> {
  const k: Partial<KeepAliveOptions> = {};
  if (o.periods) k.periods = o.periods;
  else if (o.timedetectorConfig) k.periods = relbotConfigFor({ ...o, periods: undefined }).periods;
  if (o.minPeriod !== undefined) k.minPeriodMs = o.minPeriod;
  if (o.maxPeriod !== undefined) k.maxPeriodMs = o.maxPeriod;
  if ((k.minPeriodMs ?? 0) > (k.maxPeriodMs ?? Number.POSITIVE_INFINITY))
    throw new UsageError("--min-period is longer than --max-period");
  if (o.tolerance !== undefined) k.tolerance = o.tolerance;
  if (o.minBeats !== undefined) k.minBeats = Math.max(3, o.minBeats);
  if (o.minConfidence !== undefined) k.minConfidence = o.minConfidence;
  k.allow = o.allowServices === undefined ? defaultAllowlist() : parseAllowlist(o.allowServices);
  return k;
}

function seconds(ms: number): string {
  if (ms >= 3_600_000 && ms % 60_000 < 1000) return `${(ms / 3_600_000).toFixed(2)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(2)} min`;
  return `${(ms / 1000).toFixed(3)} s`;
}

/** The run as JSON: counts, configuration and findings. */
function runJson(run: BeaconsRun): Record<string, unknown> {
  const input = {
    format: run.format,
    lines: run.lines,
    flows: run.flows,
    merged: run.merged,
    badLines: run.badLines,
    stoppedAt: run.relbotStop,
    seconds: Math.round(run.seconds * 1000) / 1000,
  };
  if (run.relbot && run.relbotConfig) {
    const r = run.relbot;
    return {
      mode: "relbot",
      config: toRelbotJson(run.relbotConfig),
      input,
      pairs: r.pairs,
      addresses: r.addresses,
      zeroTimes: r.zeroTimes,
      periods: r.periods,
      hosts: r.hosts.map((h) => ({
        host: h.host,
        counts: Object.fromEntries(r.periods.map((p, i) => [String(p), h.counts[i]])),
        peers: Object.fromEntries(r.periods.map((p, i) => [String(p), h.peers[i]])),
      })),
    };
  }
  const k = run.keepalive;
  const o = run.keepaliveOptions;
  return {
    mode: "keepalive",
    options: o && { ...o, allow: o.allow.map((a) => a.name).filter((n, i, all) => all.indexOf(n) === i) },
    input,
    pairs: k?.pairs,
    judged: k?.judged,
    window: k && {
      start: new Date(k.windowStartMs).toISOString(),
      end: new Date(k.windowEndMs).toISOString(),
    },
    hosts: k?.hosts.map((h) => ({
      host: h.host,
      peers: h.peers,
      periodMs: Math.round(h.periodMs),
      periods: h.periods.map((p) => ({ periodMs: Math.round(p.periodMs), peers: p.peers })),
      phaseStability: round3(h.phaseStability),
      confidence: round3(h.confidence),
      contacts: h.contacts.map(contactJson),
    })),
    allowlisted: k?.allowlisted.map((a) => ({
      ...a,
      periodMs: Math.round(a.periodMs),
      confidence: round3(a.confidence),
    })),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function contactJson(c: NonNullable<BeaconsRun["keepalive"]>["contacts"][number]): Record<string, unknown> {
  return {
    peer: c.peer,
    proto: c.proto,
    port: c.port,
    direction: c.direction,
    kind: c.kind,
    periodMs: Math.round(c.periodMs),
    contacts: c.contacts,
    flows: c.flows,
    first: new Date(c.firstMs).toISOString(),
    last: new Date(c.lastMs).toISOString(),
    missedBeats: c.missedBeats,
    fill: round3(c.fill),
    fit: round3(c.fit),
    phaseStability: round3(c.phaseStability),
    phasePeakShare: round3(c.phasePeakShare),
    jitterMs: Math.round(c.jitterMs),
    keepAlive: round3(c.keepAlive),
    beacon: c.beacon && {
      score: round3(c.beacon.score),
      timestamps: round3(c.beacon.timestamps),
      sizes: c.beacon.sizes === null ? null : round3(c.beacon.sizes),
      histogram: round3(c.beacon.histogram),
      coverage: round3(c.beacon.coverage),
      medianIntervalMs: Math.round(c.beacon.medianIntervalMs),
    },
    confidence: round3(c.confidence),
  };
}

function printTables(run: BeaconsRun): void {
  const w = (s: string) => process.stdout.write(s);
  if (run.relbot) {
    const r = run.relbot;
    w(
      `${run.flows} flows (format ${run.format}), ${r.pairs} pairs, ${r.hosts.length} hosts with periodic pairs\n`,
    );
    if (r.hosts.length)
      printTable(
        ["host", ...r.periods.map(String)],
        r.hosts.map((h) => [h.host, ...h.counts.map((c) => formatCppFloat(c))]),
      );
    return;
  }
  const k = run.keepalive;
  if (!k) return;
  w(
    `${run.flows} flows (format ${run.format}), ${k.pairs} pairs, ${k.judged} with enough contacts; ${k.hosts.length} hosts with periodic contacts\n`,
  );
  if (k.hosts.length) {
    w("\n");
    printTable(
      ["host", "peers", "period", "phase stability", "confidence"],
      k.hosts.map((h) => [
        h.host,
        h.peers,
        seconds(h.periodMs),
        round3(h.phaseStability),
        round3(h.confidence),
      ]),
    );
    w("\n");
    printTable(
      [
        "host",
        "peer",
        "proto/port",
        "dir",
        "kind",
        "period",
        "contacts",
        "missed",
        "jitter",
        "phase",
        "confidence",
      ],
      k.contacts.map((c) => [
        c.host,
        c.peer,
        c.proto || c.port !== null ? `${c.proto || "?"}/${c.port ?? "-"}` : "",
        c.direction,
        c.kind,
        seconds(c.periodMs),
        c.contacts,
        c.missedBeats,
        `${(c.jitterMs / 1000).toFixed(2)} s`,
        round3(c.phaseStability),
        round3(c.confidence),
      ]),
    );
  }
  if (k.allowlisted.length) {
    const byService = new Map<string, number>();
    for (const a of k.allowlisted) byService.set(a.service, (byService.get(a.service) ?? 0) + 1);
    w(
      `\nallowlisted periodic services (not reported): ${[...byService].map(([s, n]) => `${s} ${n}`).join(", ")}\n`,
    );
  }
}

async function reportStep(
  ctx: CommandContext,
  run: BeaconsRun,
  o: BeaconsCliOptions,
): Promise<Record<string, unknown>> {
  if (!o.reportOut && !o.submit)
    throw new UsageError("--report cch needs --report-out FILE (or -) and/or --submit URL");
  const hasher = o.ipMode === "pseudo" ? ipHasher(ctx.config) : undefined;
  const reports = beaconReports(run, {
    minIdx: o.minIdx,
    confidence: o.confidence,
    mode: o.ipMode,
    hasher,
    reportType: o.reportType,
  });
  const summary: Record<string, unknown> = { reports: reports.length, ipMode: o.ipMode, minIdx: o.minIdx };
  if (o.reportOut) {
    const text = formatCchReports(reports, o.reportOut.endsWith(".jsonl"));
    if (o.reportOut === "-") process.stdout.write(text);
    else writeFileSync(o.reportOut, text);
    summary.file = o.reportOut;
  }
  if (o.submit) {
    const token = process.env[o.tokenEnv];
    if (!token)
      throw new UserError(
        `--submit needs the clearing-house token in $${o.tokenEnv} (or name another with --token-env)`,
      );
    const result = await submitReports(reports, {
      url: o.submit,
      token,
      tokenHeader: o.tokenHeader,
      spoolDir: o.spool,
      retries: o.retries,
      backoffMs: o.retryDelay,
      onAttemptFailed: (file, attempt, why) =>
        process.stderr.write(`cch: ${file}: attempt ${attempt} failed: ${why}\n`),
    });
    summary.submit = { url: o.submit, spool: o.spool, ...result };
    if (result.spooled > 0)
      process.stderr.write(
        `cch: ${result.spooled} report(s) kept in ${o.spool}; they are sent again on the next run with --submit\n`,
      );
  }
  return summary;
}

export function beaconsCommand(): Command {
  const cmd = new CommandClass("beacons")
    .description("periodic contacts in flows: p2p keep-alives (relbot) and C&C beacons")
    .argument("<files...>", "flow files (any flow format, nfcapd, relbot text), globs, .gz, or - for stdin")
    .addOption(new Option("--format <name>", "input format").choices(FLOW_FORMATS).default("auto"))
    .addOption(
      new Option("--mode <mode>", "keepalive: improved detector; relbot: the original, bit for bit")
        .choices(BEACON_MODES)
        .default("keepalive"),
    )
    .option(
      "--timedetector-config <file>",
      "relbot's timedetector.json (times, UNIT_MS, RADIUS, MIN_VAL, *_COEF); `--config FILE` with such a file works too",
    )
    .addOption(
      new Option(
        "--output <kind>",
        "relbot text, json or table (default: relbot in relbot mode, else table)",
      ).choices(BEACON_OUTPUTS),
    )
    .option(
      "--periods <list>",
      "periods in ms (or 10m, 30m), comma-separated, or auto (keepalive)",
      periodsArg,
    )
    .option("--min-period <duration>", "auto search: shortest period (default 1s)", durationArg)
    .option("--max-period <duration>", "auto search: longest period (default 3h)", durationArg)
    .option("--tolerance <fraction>", "relative period tolerance (default 0.02)", fractionArg)
    .option("--min-beats <n>", "contacts a pair needs to be judged (default 5)", positiveIntArg)
    .option("--min-confidence <c>", "report contacts from this confidence on (default 0.5)", fractionArg)
    .option(
      "--merge-bidirectional",
      "merge A:p->B:q with its reverse within the merge window (relbot's netflowaggr)",
    )
    .option("--merge-window <seconds>", "bidirectional merge window (default 120)", nonNegativeArg)
    .option(
      "--allow-services <list>",
      "periodic services not to report: default, none, names (ntp,dns,mdns,llmnr,dhcp,dhcpv6,netbios,ssdp,snmp), [proto/]port[@addr], @addr",
    )
    .addOption(
      new Option("--report <kind>", "make clearing-house reports of the hosts found").choices(["cch"]),
    )
    .option(
      "--min-idx <n>",
      "report hosts with at least n periodic peers for some period (MIN_IDX)",
      positiveIntArg,
      1,
    )
    .addOption(new Option("--ip-mode <mode>", "source address in reports").choices(IP_MODES).default("plain"))
    .option(
      "--confidence <c>",
      "confidence_level of every report (relbot mode default 0.5; keepalive: per host)",
      fractionArg,
    )
    .option("--report-type <text>", "report_type of the reports")
    .option(
      "--report-out <file>",
      "write the reports to a file (JSON array; .jsonl: one per line; -: stdout)",
    )
    .option(
      "--submit <url>",
      "POST each report to this clearing-house URL (e.g. https://host:3000/api/v2/reports)",
    )
    .option("--token-env <name>", "environment variable with the clearing-house token", "BOTSCOPE_CCH_TOKEN")
    .option(
      "--token-header <name>",
      'send the token raw in this header (default: Authorization: Token token="...")',
    )
    .option(
      "--spool <dir>",
      "reports not yet accepted wait here and are resent by the next run",
      "botscope-cch-spool",
    )
    .option("--retries <n>", "retries per report, with exponential backoff", integerArg, 4)
    .option("--retry-delay <ms>", "first backoff delay", integerArg, 500)
    .option("--nfdump <program>", "the nfdump program for nfcapd files")
    .option("--strict", "fail when any input line is bad")
    .option("--store", "store the run and its hosts for the dashboard (hosts hashed and encrypted)")
    .option("--json", "as JSON (same as --output json)");

  // `--config` belongs to the program (botscope.yaml); a timedetector.json given there is taken as
  // relbot's configuration instead, as the original's `--config` was.
  cmd.hook("preAction", (_self, actionCmd) => {
    const parent = actionCmd.parent;
    const path = parent?.opts().config as string | undefined;
    if (path && isRelbotConfigFile(path)) {
      parent?.setOptionValue("config", undefined);
      if (!actionCmd.opts().timedetectorConfig) actionCmd.setOptionValue("timedetectorConfig", path);
    }
  });

  cmd.action(
    action(async (ctx, files: string[], o: BeaconsCliOptions) => {
      const inputs = expandInputs(files);
      const output: BeaconOutput =
        ctx.json || o.json ? "json" : (o.output ?? (o.mode === "relbot" ? "relbot" : "table"));
      if (
        o.mode === "relbot" &&
        (o.minPeriod || o.maxPeriod || o.allowServices || o.minConfidence !== undefined)
      )
        throw new UsageError(
          "--min-period, --max-period, --allow-services and --min-confidence are keepalive options",
        );
      const relbotConfig = o.mode === "relbot" ? relbotConfigFor(o) : undefined;
      const keepalive = o.mode === "keepalive" ? keepAliveOptionsFor(o) : undefined;
      const plain = inputs.every((f) => f !== "-" && !f.endsWith(".gz"));
      const estimate = plain ? Math.round(inputs.reduce((s, f) => s + statSync(f).size, 0) / 40) : 0;
      const bar = progress("flows", estimate, output === "json" || output === "relbot");
      const run = await runBeacons({
        files: inputs,
        format: o.format,
        mode: o.mode,
        relbot: relbotConfig,
        keepalive,
        mergeBidirectional: o.mergeBidirectional,
        mergeWindowMs: o.mergeWindow === undefined ? undefined : o.mergeWindow * 1000,
        nfdump: o.nfdump,
        onProgress: (n) => bar.update(Math.min(n, estimate)),
      });
      bar.stop();
      if (o.strict && run.badLines.total > 0)
        throw new UserError(
          `--strict: ${run.badLines.total} bad line(s):\n${describeBadLines(run.badLines).join("\n")}`,
        );
      const report = o.report === "cch" ? await reportStep(ctx, run, o) : undefined;
      if (o.store) {
        const runId = await storePeriodicityRun(await ctx.store(), ctx.config, run, inputs.join(" "));
        process.stderr.write(`stored as periodicity run ${runId}\n`);
      }
      const toStdout = o.reportOut !== "-";
      if (output === "json") {
        if (toStdout) printJson(report ? { ...runJson(run), report } : runJson(run));
      } else if (output === "relbot") {
        if (toStdout) {
          // addresses are the input's bytes (read as latin1): written back as the same bytes
          if (run.relbot) process.stdout.write(Buffer.from(formatRelbotText(run.relbot), "latin1"));
          else if (run.keepalive && run.keepaliveOptions)
            process.stdout.write(
              formatKeepAliveRelbotText(
                run.keepalive,
                run.keepaliveOptions.periods,
                run.keepaliveOptions.tolerance,
              ),
            );
        }
        // the text itself stays exactly the original's; everything else goes to stderr
        if (run.badLines.total > 0) {
          process.stderr.write(
            `bad lines (skipped):\n${describeBadLines(run.badLines)
              .map((l) => `  ${l}\n`)
              .join("")}`,
          );
        }
        if (run.relbotStop) process.stderr.write(`${relbotStopNote(run.relbotStop)}\n`);
        if (report) process.stderr.write(`${formatReportSummary(report)}\n`);
      } else {
        if (toStdout) printTables(run);
        if (run.relbotStop) process.stderr.write(`${relbotStopNote(run.relbotStop)}\n`);
        const bad = describeBadLines(run.badLines);
        if (bad.length && toStdout)
          process.stdout.write(`bad lines (skipped):\n${bad.map((l) => `  ${l}\n`).join("")}`);
        if (report) process.stderr.write(`${formatReportSummary(report)}\n`);
      }
    }),
  );
  return cmd;
}

function relbotStopNote(s: NonNullable<BeaconsRun["relbotStop"]>): string {
  const why =
    s.reason === "not-a-number"
      ? "a time that is not a number"
      : s.reason === "overflow"
        ? "a time beyond an unsigned long"
        : "a time the original reads modulo 2^64 (negative, or 2^53 and more), which botscope does not follow";
  return `note: input read up to ${s.file}:${s.line} (${why}: "${s.text}"), where relbot's timedetector stops reading too`;
}

function formatReportSummary(r: Record<string, unknown>): string {
  const parts = [`cch: ${r.reports} report(s) (ip mode ${r.ipMode}, min idx ${r.minIdx})`];
  if (r.file) parts.push(`written to ${r.file}`);
  const s = r.submit as { sent: number; resent: number; spooled: number; rejected: number } | undefined;
  if (s)
    parts.push(`sent ${s.sent} (${s.resent} from the spool), ${s.spooled} spooled, ${s.rejected} rejected`);
  return parts.join("; ");
}
