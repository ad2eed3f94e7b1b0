import { createWriteStream, type WriteStream } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { runWatch, type WatchSummary } from "../../app/watch.ts";
import { GeoLookup } from "../../geo/geo.ts";
import { describeBadLines } from "../../ingest/bad-lines.ts";
import { nonNegativeArg, positiveArg } from "../args.ts";
import { action } from "../context.ts";
import { isoTime } from "../output.ts";
import { printChain, type WebInputOptions, webInputOptions, webRunOptions } from "./web.ts";

interface WatchCliOptions extends WebInputOptions {
  replay?: boolean;
  threshold?: number;
  holdMinutes?: number;
  interval?: number;
  learnHours?: number;
  poll?: number;
  fromStart?: boolean;
  events?: string;
  chain: boolean;
  geo: boolean;
}

function probability(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError("expected a score between 0 and 1");
  return n;
}

/**
 * `botscope watch FILE|-`: follows a web log (tail -F) or replays it (--replay, log time), scores each
 * site's success ratio, request rate and distinct-IP rate every interval, opens an incident on an
 * anomaly and, when it closes, stores its sessions and runs the chain. Events go out as JSON lines.
 */
export function watchCommand(): Command {
  const cmd = webInputOptions(
    new Command("watch")
      .description(
        "follow a web log (tail -F) or replay it (--replay): anomalies open incidents; closed incidents are analysed",
      )
      .argument("<file>", "log file to follow, or - for stdin"),
  )
    .option("--replay", "read the file once using log time (deterministic), then exit")
    .option(
      "--threshold <score>",
      "anomaly score that opens an incident (default anomaly.threshold)",
      probability,
    )
    .option("--hold-minutes <m>", "minutes without anomaly before an incident closes", nonNegativeArg)
    .option("--interval <seconds>", "series interval (default anomaly.intervalSeconds)", positiveArg)
    .option(
      "--learn-hours <h>",
      "hours each site is only learned before it can open incidents (default 24; replay history first)",
      nonNegativeArg,
    )
    .option("--poll <ms>", "live: file polling interval in milliseconds", positiveArg, 500)
    .option("--from-start", "live: read what the file already holds first (default: new lines only)")
    .option("--events <file>", "append the event JSON lines to this file instead of stdout")
    .option("--no-chain", "store the incident's sessions but skip clustering and botnet matching")
    .option("--no-geo", "skip country and ASN lookup");
  return cmd.action(
    action(async (ctx, file: string, o: WatchCliOptions) => {
      const run = webRunOptions(ctx, o);
      const events: WriteStream | undefined = o.events
        ? createWriteStream(o.events, { flags: "a" })
        : undefined;
      const out: NodeJS.WritableStream = events ?? process.stdout;
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let summary: WatchSummary;
      try {
        const geo = o.geo ? await GeoLookup.open({}) : undefined;
        summary = await runWatch(await ctx.store(), ctx.config, {
          input: file,
          replay: Boolean(o.replay),
          weblog: run.weblog,
          target: run.target,
          from: run.from,
          to: run.to,
          threshold: o.threshold ?? ctx.config.anomaly.threshold,
          holdMinutes: o.holdMinutes ?? ctx.config.anomaly.holdMinutes,
          intervalSeconds: o.interval ?? ctx.config.anomaly.intervalSeconds,
          lateness: o.lateness,
          learnHours: o.learnHours,
          pollMs: o.poll,
          fromStart: o.fromStart,
          chain: o.chain,
          gapSeconds: run.gapSeconds,
          key: run.key,
          compat: run.compat,
          geo,
          signal: ac.signal,
          onEvent: (m) => out.write(`${JSON.stringify(m)}\n`),
          onError: (e) => process.stderr.write(`botscope watch: ${(e as Error)?.message ?? String(e)}\n`),
        });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        if (events) await new Promise<void>((r) => events.end(() => r()));
      }
      // the summary goes where the events are not (stdout carries the event lines without --events)
      const report = (s: string) => (events ? process.stdout : process.stderr).write(s);
      const { events: _events, ...rest } = summary;
      if (ctx.json) {
        report(`${JSON.stringify({ ...rest, events: summary.eventCount }, null, 2)}\n`);
        return;
      }
      report(
        `${summary.mode}: ${summary.lines} lines, ${summary.requests} requests (format ${summary.format}), ${summary.badLines.total} bad, ` +
          `${summary.targets} target(s), ${summary.buckets} buckets, ${summary.eventCount} events\n`,
      );
      if (summary.follow)
        report(
          `followed: ${summary.follow.rotations} rotation(s), ${summary.follow.truncations} truncation(s)\n`,
        );
      for (const i of summary.incidents) {
        report(
          `incident ${i.id}: ${i.target} ${isoTime(i.start)} .. ${isoTime(i.stop)} (${i.signal}, max score ${i.maxScore.toFixed(3)}, ${i.reason}): ` +
            `${i.requests} requests, ${i.sessions} sessions${i.droppedRequests ? `, ${i.droppedRequests} requests dropped (buffer full)` : ""}${i.error ? `, error: ${i.error}` : ""}\n`,
        );
      }
      for (const l of describeBadLines(summary.badLines)) report(`  ${l}\n`);
      if (events) {
        const chain = summary.incidents.flatMap((i) => (i.chain ? [i.chain] : []));
        if (chain.length) printChain(chain);
      }
    }),
  );
}
