import { Command, CommanderError } from "commander";
import { UserError } from "../core/errors.ts";
import { anomalyCommand } from "./commands/anomaly.ts";
import { beaconsCommand } from "./commands/beacons.ts";
import { botnetCommands } from "./commands/botnets.ts";
import { collectCommand } from "./commands/collect.ts";
import { configCommand } from "./commands/config.ts";
import { demoCommand } from "./commands/demo.ts";
import { flowsCommand } from "./commands/flows.ts";
import { exportCommand, incidentsCommand } from "./commands/incidents.ts";
import { keysCommand } from "./commands/keys.ts";
import { mlCommand } from "./commands/ml.ts";
import { forestCommands } from "./commands/ml-forest.ts";
import { serveCommand } from "./commands/serve.ts";
import { simulateCommand } from "./commands/simulate.ts";
import { watchCommand } from "./commands/watch.ts";
import { webCommand } from "./commands/web.ts";

function withForest(ml: Command): Command {
  forestCommands(ml);
  return ml;
}

export function buildProgram(): Command {
  const program = new Command("botscope")
    .description(
      "Find bots in traffic: web attacks and botnets, infected hosts from flows, periodic contacts.",
    )
    .version("0.1.0")
    .option("--config <file>", "configuration file (default: ./botscope.yaml when present)")
    .option("--db <url>", "store: SQLite file or postgres:// URL (default ./botscope.db)")
    .showHelpAfterError("(run with --help for usage)");
  for (const sub of [
    demoCommand(),
    simulateCommand(),
    incidentsCommand(),
    exportCommand(),
    keysCommand(),
    withForest(mlCommand()),
    flowsCommand(),
    beaconsCommand(),
    anomalyCommand(),
    watchCommand(),
    collectCommand(),
    configCommand(),
    serveCommand(),
  ]) {
    program.addCommand(sub);
  }
  webCommand(program);
  botnetCommands(program);
  // Every command and subcommand exits through our handler, so usage errors get exit code 2.
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI; returns the exit code instead of exiting so tests can call it in-process. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version end here too, with exit code 0
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`botscope: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as NodeJS.ErrnoException;
    if (err?.code === "ENOENT" || err?.code === "EACCES" || err?.code === "EISDIR") {
      process.stderr.write(`botscope: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`botscope: internal error: ${err?.stack ?? String(e)}\n`);
    return 70;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/cli/main.ts")) {
  process.exitCode = await run(process.argv.slice(2));
}
