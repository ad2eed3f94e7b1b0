/**
 * Test helper: the beacons command under a program with botscope's global options and error handling
 * (as src/cli/main.ts wires it), runnable before and after it is wired into main.ts.
 * Usage: node --import tsx test/periodicity/cli-main.ts beacons FILE... [options]
 */
import { Command, CommanderError } from "commander";
import { beaconsCommand } from "../../src/cli/commands/beacons.ts";
import { UserError } from "../../src/core/errors.ts";

const program = new Command("botscope")
  .option("--config <file>", "configuration file")
  .option("--db <url>", "store")
  .addCommand(beaconsCommand());
const override = (cmd: Command): void => {
  cmd.exitOverride();
  cmd.commands.forEach(override);
};
override(program);
try {
  await program.parseAsync(process.argv.slice(2), { from: "user" });
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 2;
  else if (e instanceof UserError) {
    process.stderr.write(`botscope: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else {
    process.stderr.write(`botscope: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 70;
  }
}
