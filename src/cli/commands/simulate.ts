import { Command } from "commander";
import { writeFlowSimulation } from "../../simulate/flows.ts";
import { writeWebSimulation } from "../../simulate/web.ts";
import { integerArg, listArg, positiveArg, timeArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson } from "../output.ts";

function labelsPathFor(out: string, labels?: string): string {
  return labels ?? `${out.replace(/\.(log|csv|binetflow)$/, "")}.labels.json`;
}

export function simulateCommand(): Command {
  const cmd = new Command("simulate").description(
    "generate traffic with ground truth (seeded, reproducible)",
  );

  cmd
    .command("web")
    .description("web access log (combined format) with human visitors, crawlers and botnet attacks")
    .requiredOption("--out <file>", "log file to write")
    .option("--labels <file>", "ground-truth JSON (default: <out>.labels.json)")
    .option("--seed <n>", "random seed", integerArg, 1)
    .option("--start <iso>", "first timestamp", timeArg, "2026-03-02T00:00:00Z")
    .option("--hours <h>", "hours of traffic", positiveArg, 24)
    .option("--sites <list>", "protected sites", listArg)
    .option("--visitors <n>", "human sessions per hour per site at the daily peak", positiveArg)
    .option("--tz <offset>", "time zone offset written in the log, e.g. +0200", "+0000")
    .option("--vhost", "prefix each line with the site (nginx vhost_combined)")
    .option("--json", "print the ground-truth summary as JSON")
    .action(
      action(async (ctx, opts: Record<string, unknown>) => {
        const out = String(opts.out);
        const labels = labelsPathFor(out, opts.labels as string | undefined);
        const truth = await writeWebSimulation(
          {
            seed: opts.seed as number,
            start: String(opts.start),
            hours: opts.hours as number,
            sites: opts.sites as string[] | undefined,
            visitorsPerHour: opts.visitors as number | undefined,
            tzOffset: String(opts.tz),
            vhost: Boolean(opts.vhost),
          },
          out,
          labels,
        );
        const summary = {
          out,
          labels,
          lines: truth.lines,
          linesByRole: truth.linesByRole,
          attacks: truth.attacks.map((a) => ({
            id: a.id,
            botnet: a.botnet,
            site: a.site,
            pattern: a.pattern,
            start: a.start,
            end: a.end,
            bots: a.ips.length,
            requests: a.requests,
          })),
        };
        if (ctx.json) return printJson(summary);
        process.stdout.write(
          `wrote ${truth.lines} lines to ${out} (human ${truth.linesByRole.human}, crawler ${truth.linesByRole.crawler}, bot ${truth.linesByRole.bot})\n`,
        );
        for (const a of summary.attacks) {
          process.stdout.write(
            `  attack ${a.id}: ${a.botnet} ${a.pattern} on ${a.site} ${a.start} .. ${a.end}, ${a.bots} bots, ${a.requests} requests\n`,
          );
        }
        process.stdout.write(`ground truth in ${labels}\n`);
      }),
    );

  cmd
    .command("flows")
    .description(
      "network flows (Argus binetflow, CTU-13 labels): normal hosts, background, infected and p2p bots",
    )
    .requiredOption("--out <file>", "binetflow file to write")
    .option("--labels <file>", "ground-truth JSON (default: <out>.labels.json)")
    .option("--seed <n>", "random seed", integerArg, 1)
    .option("--start <iso>", "first timestamp", timeArg, "2026-03-02T08:00:00Z")
    .option("--hours <h>", "hours of traffic", positiveArg, 4)
    .option("--internal <cidr>", "internal network", "10.20.0.0/16")
    .option("--json", "print the ground-truth summary as JSON")
    .action(
      action(async (ctx, opts: Record<string, unknown>) => {
        const out = String(opts.out);
        const labels = labelsPathFor(out, opts.labels as string | undefined);
        const truth = await writeFlowSimulation(
          {
            seed: opts.seed as number,
            start: String(opts.start),
            hours: opts.hours as number,
            internal: String(opts.internal),
          },
          out,
          labels,
        );
        const bots = Object.entries(truth.hosts).filter(([, h]) => h.role !== "normal");
        if (ctx.json)
          return printJson({ out, labels, flows: truth.flows, flowsByLabel: truth.flowsByLabel, bots });
        process.stdout.write(
          `wrote ${truth.flows} flows to ${out} (botnet ${truth.flowsByLabel.botnet}, normal ${truth.flowsByLabel.normal}, background ${truth.flowsByLabel.background})\n`,
        );
        for (const [ip, h] of bots) {
          process.stdout.write(`  ${h.role} ${ip} ${h.botnet ?? ""} ${(h.behaviours ?? []).join(",")}\n`);
        }
        process.stdout.write(`ground truth in ${labels}\n`);
      }),
    );
  return cmd;
}
