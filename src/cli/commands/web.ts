import { statSync } from "node:fs";
import { type Command, Option } from "commander";
import { type ChainResult, runAutoChain } from "../../app/chain.ts";
import { analyzeWeb } from "../../app/web.ts";
import { UserError } from "../../core/errors.ts";
import { GeoLookup } from "../../geo/geo.ts";
import { describeBadLines } from "../../ingest/bad-lines.ts";
import { readBanLists } from "../../ingest/bans.ts";
import { expandInputs } from "../../ingest/source.ts";
import { parseJsonMapping } from "../../ingest/weblog/json-lines.ts";
import { WEBLOG_FORMATS, type WeblogFormat } from "../../ingest/weblog/reader.ts";
import { utf8Text } from "../../ingest/weblog/record.ts";
import { csvField } from "../../report/csv.ts";
import { SESSION_FEATURES } from "../../store/schema.ts";
import { runWebSessions, type WebRunOptions } from "../../web/pipeline.ts";
import { nonNegativeArg, positiveArg, timeArg } from "../args.ts";
import { action, type CommandContext } from "../context.ts";
import { isoTime, printJson, printTable, textOut } from "../output.ts";
import { type Progress, progress } from "../progress.ts";

export interface WebInputOptions {
  format: WeblogFormat;
  logFormat?: string;
  jsonFields?: string;
  target?: string;
  from?: string;
  to?: string;
  compat?: string;
  sessionKey?: "ip" | "ip+host";
  gap?: number;
  lateness?: number;
  strict?: boolean;
  json?: boolean;
}

/** The options every command that reads web logs shares. */
export function webInputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--format <name>", "log format").choices(WEBLOG_FORMATS).default("auto"))
    .option(
      "--log-format <string>",
      "nginx log_format string, e.g. '$remote_addr - $remote_user [$time_local] ...'",
    )
    .option("--json-fields <mapping>", "JSON field mapping, e.g. time=ts,ip=client.addr,url=uri")
    .option("--target <host>", "only requests for this site (host or www.host); names the incident")
    .option("--from <time>", "only requests at or after this time (ISO-8601 or epoch)", timeArg)
    .option("--to <time>", "only requests before this time", timeArg)
    .addOption(
      new Option("--compat <tool>", "reproduce the original tool's feature quirks").choices(["bothound"]),
    )
    .addOption(new Option("--session-key <key>", "session key").choices(["ip", "ip+host"]))
    .option("--gap <seconds>", "idle gap that ends a session", positiveArg)
    .option(
      "--lateness <seconds>",
      "how late a line may come and still be put in time order (0: trust the order)",
      nonNegativeArg,
    )
    .option("--strict", "fail when any line is bad")
    .option("--json", "as JSON");
}

/** A progress bar over the input bytes when every input is a plain file (size known) and stderr a TTY. */
export function inputProgress(files: string[], json: boolean): Progress {
  const plain = files.every((f) => f !== "-" && !f.endsWith(".gz"));
  return progress("reading", plain ? files.reduce((s, f) => s + statSync(f).size, 0) : 0, json);
}

export function webRunOptions(ctx: CommandContext, o: WebInputOptions, bar?: Progress): WebRunOptions {
  return {
    weblog: {
      onProgress: bar ? (bytes) => bar.update(bytes) : undefined,
      format: o.format,
      logFormat: o.logFormat,
      jsonFields: o.jsonFields ? parseJsonMapping(o.jsonFields) : undefined,
    },
    target: o.target?.toLowerCase(),
    from: o.from ? Date.parse(o.from) / 1000 : undefined,
    to: o.to ? Date.parse(o.to) / 1000 : undefined,
    gapSeconds: o.gap ?? ctx.config.web.sessionGapSeconds,
    lateness: o.lateness,
    key: o.sessionKey ?? ctx.config.web.sessionKey,
    compat: o.compat === "bothound",
  };
}

/** The attacks found and the botnet decisions, incident by incident. */
export function printChain(chain: ChainResult[]): void {
  for (const c of chain) {
    process.stdout.write(`\nincident ${c.incidentId}: ${c.labelling.attacks.length} attack(s)\n`);
    for (const a of c.labelling.attacks) {
      const m = c.matches.find((x) => x.attack.number === a.number);
      const who = m
        ? m.decision === "matched"
          ? `${m.botnet?.name}, seen before (score ${m.candidates[0].score.toFixed(2)})`
          : `new botnet ${m.botnet?.name}`
        : "";
      process.stdout.write(
        `  attack ${a.number}: ${a.sessions} sessions ${isoTime(a.start)} .. ${isoTime(a.end)}, confidence ${a.confidence.toFixed(2)}: ${who}\n    ${a.reasons.slice(0, 3).join("; ")}\n`,
      );
    }
  }
}

function printBadLines(lines: string[]): void {
  if (lines.length === 0) return;
  process.stdout.write("bad lines (skipped):\n");
  for (const l of lines) process.stdout.write(`  ${l}\n`);
}

export function webCommand(parent: Command): void {
  const web = parent
    .command("web")
    .description("web access logs: sessions, features and incidents (Bothound)");

  webInputOptions(
    web
      .command("analyze")
      .description("parse, sessionize and store one incident per target with its sessions")
      .argument("<files...>", "log files, globs, .gz, or - for stdin"),
  )
    .option("--bans <files...>", "Banjax-style ban records (JSON lines or CSV ip,time,rule)")
    .option("--geoip-db <files...>", "your own MaxMind mmdb files (Country/City/ASN) before the bundled data")
    .option("--no-geo", "skip country and ASN lookup")
    .option("--store-plain-ips", "also store plain IPs (default: keyed hash and encrypted only)")
    .option("--auto", "then cluster, propose attacks and match them against known botnets")
    .action(
      action(
        async (
          ctx,
          files: string[],
          o: WebInputOptions & {
            bans?: string[];
            geoipDb?: string[];
            geo: boolean;
            storePlainIps?: boolean;
            auto?: boolean;
          },
        ) => {
          const inputs = expandInputs(files);
          const bans = o.bans ? await readBanLists(expandInputs(o.bans)) : undefined;
          const geo = o.geo ? await GeoLookup.open({ geoipDbs: o.geoipDb }) : undefined;
          const bar = inputProgress(inputs, ctx.json);
          const summary = await analyzeWeb(await ctx.store(), ctx.config, {
            ...webRunOptions(ctx, o, bar),
            files: inputs,
            geo,
            bans,
            strict: o.strict,
            storePlainIps: o.storePlainIps,
          });
          bar.stop();
          const store = await ctx.store();
          const chain = o.auto
            ? await runAutoChain(
                store,
                ctx.config,
                summary.targets.map((t) => t.incidentId),
              )
            : undefined;
          if (ctx.json) return printJson({ ...summary, banRecords: bans?.records ?? 0, chain });
          process.stdout.write(
            `${summary.lines} lines, ${summary.requests} requests (format ${summary.format}), ${summary.badLines.total} bad, ${summary.filtered} outside target/time\n`,
          );
          for (const t of summary.targets) {
            process.stdout.write(
              `\nincident ${t.incidentId}: ${t.target} ${t.start} .. ${t.stop}\n  ${t.requests} requests, ${t.ips} IPs, ${t.sessions} sessions, ${t.banned} banned\n`,
            );
            process.stdout.write(
              `  status: ${Object.entries(t.statusMix)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${k} ${((100 * n) / t.requests).toFixed(1)}%`)
                .join(", ")}\n`,
            );
            process.stdout.write(
              `  top countries: ${t.topCountries.map((c) => `${c.country} ${c.sessions}`).join(", ")}\n`,
            );
            printTable(
              ["requests", "family", "bot", "user agent"],
              t.topUserAgents.map((u) => [
                u.requests,
                u.family,
                u.bot ? "yes" : "",
                u.userAgent.slice(0, 90),
              ]),
            );
          }
          printBadLines(describeBadLines(summary.badLines));
          if (chain) printChain(chain);
        },
      ),
    );

  webInputOptions(
    web
      .command("sessions")
      .description("one CSV row per session with every feature (plain IPs: an explicit export)")
      .argument("<files...>", "log files, globs, .gz, or - for stdin"),
  )
    .requiredOption("--out <file>", "CSV file to write ('-' for stdout)")
    .action(
      action(async (ctx, files: string[], o: WebInputOptions & { out: string }) => {
        const inputs = expandInputs(files);
        const out = textOut(o.out);
        const header = [
          "target",
          "ip",
          "session_number",
          "start",
          "end",
          "requests",
          ...SESSION_FEATURES,
          "user_agent",
        ];
        await out.write(`${header.join(",")}\n`);
        let rows = 0;
        let buffer = "";
        const bar = inputProgress(inputs, ctx.json);
        const stats = await runWebSessions(
          inputs,
          webRunOptions(ctx, o, bar),
          (target, s) => {
            rows++;
            const f = SESSION_FEATURES.map((k) => csvField(s.features[k]));
            buffer += `${[csvField(target), s.ip, s.sessionNumber, s.start, s.end, s.requests, ...f, csvField(utf8Text(s.userAgents[0]?.ua ?? ""))].join(",")}\n`;
          },
          async () => {
            if (buffer.length < 1 << 16) return;
            const text = buffer;
            buffer = "";
            await out.write(text);
          },
        );
        bar.stop();
        await out.write(buffer);
        await out.close();
        if (o.strict && stats.bad.total > 0)
          throw new UserError(
            `--strict: ${stats.bad.total} bad line(s):\n${stats.bad.describe().join("\n")}`,
          );
        if (o.out === "-") return;
        const result = {
          out: o.out,
          sessions: rows,
          lines: stats.lines,
          requests: stats.requests,
          badLines: stats.bad.toJSON(),
        };
        if (ctx.json) return printJson(result);
        process.stdout.write(
          `wrote ${rows} sessions to ${o.out} (${stats.lines} lines, ${stats.requests} requests)\n`,
        );
        printBadLines(stats.bad.describe());
      }),
    );
}
