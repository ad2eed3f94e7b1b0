import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { writeFlowSimulation } from "../../simulate/flows.ts";
import { writeWebSimulation } from "../../simulate/web.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson } from "../output.ts";

/** The main job on generated data; grows with each detector (sessions, attacks, hosts, periodicity). */
export function demoCommand(): Command {
  return new Command("demo")
    .description("generate a day of web traffic with botnet attacks and labelled flows, with ground truth")
    .option("--out <dir>", "output directory", "botscope-demo")
    .option("--seed <n>", "random seed", integerArg, 1)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, opts: { out: string; seed: number }) => {
        mkdirSync(opts.out, { recursive: true });
        const webLog = join(opts.out, "access.log");
        const flowFile = join(opts.out, "flows.binetflow");
        const web = await writeWebSimulation(
          { seed: opts.seed },
          webLog,
          join(opts.out, "access.labels.json"),
        );
        const flows = await writeFlowSimulation(
          { seed: opts.seed },
          flowFile,
          join(opts.out, "flows.labels.json"),
        );
        if (ctx.json) return printJson({ webLog, flowFile, web, flows: { ...flows, hosts: undefined } });
        const say = (s: string) => process.stdout.write(`${s}\n`);
        say(`web log: ${webLog}: ${web.lines} lines for ${web.sites.join(", ")}`);
        for (const a of web.attacks) {
          say(
            `  ${a.start} .. ${a.end}  ${a.botnet} ${a.pattern} on ${a.site}: ${a.ips.length} bots, ${a.requests} requests`,
          );
        }
        say(
          `flows: ${flowFile}: ${flows.flows} flows (botnet ${flows.flowsByLabel.botnet}, normal ${flows.flowsByLabel.normal})`,
        );
        for (const [ip, h] of Object.entries(flows.hosts)) {
          if (h.role !== "normal")
            say(`  ${h.role} host ${ip} (${h.botnet ?? ""} ${(h.behaviours ?? []).join(", ")})`);
        }
        say("ground truth: access.labels.json, flows.labels.json");
      }),
    );
}
