import { Command } from "commander";
import { scoreCsv } from "../../anomaly/csv.ts";
import { describeBadLines } from "../../ingest/bad-lines.ts";
import { action } from "../context.ts";
import { printJson } from "../output.ts";

interface ScoreOptions {
  out: string;
  strict?: boolean;
  perPoint?: boolean;
  json?: boolean;
}

/** `anomaly score INPUT.csv --out OUTPUT.csv`: the streaming detector over a timestamp,value series. */
export function anomalyCommand(): Command {
  const anomaly = new Command("anomaly").description("streaming anomaly detection on metric series");
  anomaly
    .command("score")
    .description(
      "score a timestamp,value CSV (ISO-8601 or epoch s/ms time); writes timestamp,value,anomaly_score",
    )
    .argument("<input>", "CSV file with a timestamp,value header (- for stdin, .gz accepted)")
    .requiredOption("--out <file>", "output CSV")
    .option("--strict", "fail on the first unreadable row")
    .option(
      "--per-point",
      "each point's own score (a sustained anomaly stays high) instead of the alarm score (high at its onset)",
    )
    .option("--json", "summary as JSON")
    .action(
      action(async (ctx, input: string, o: ScoreOptions) => {
        const threshold = ctx.config.anomaly.threshold;
        const r = await scoreCsv(input, o.out, { strict: o.strict, threshold, perPoint: o.perPoint });
        if (o.json || ctx.json) {
          printJson({ ...r, threshold, pointsPerSecond: Math.round(r.scored / Math.max(r.seconds, 1e-9)) });
          return;
        }
        process.stdout.write(
          `${r.rows} rows (${r.scored} scored, ${r.missing} missing values), ${r.alarms} above ${threshold}, ` +
            `${r.badLines.total} bad rows skipped${r.outOfOrder ? `, ${r.outOfOrder} out of time order` : ""} ` +
            `-> ${r.out} (${r.seconds.toFixed(2)} s)\n`,
        );
        if (r.badLines.total) {
          process.stderr.write(`bad rows (left out of ${r.out}):\n`);
          for (const l of describeBadLines(r.badLines)) process.stderr.write(`  ${l}\n`);
        }
      }),
    );
  return anomaly;
}
