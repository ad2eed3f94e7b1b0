/**
 * Test helper, run as a child process: runs several `botscope flows|ml ...` command lines in-process,
 * as src/cli/main.ts does (exit code 2 for usage errors, the UserError's code otherwise), capturing each
 * one's stdout, and prints [{ code, out, err }] as JSON. Capturing in a child keeps the test reporter's
 * own output out of the way.
 */
import { Command, CommanderError } from "commander";
import { flowsCommand } from "../../src/cli/commands/flows.ts";
import { forestCommands } from "../../src/cli/commands/ml-forest.ts";
import { UserError } from "../../src/core/errors.ts";

const runs = JSON.parse(process.argv[2]) as string[][];
const results: { code: number; out: string; err: string }[] = [];
const write = process.stdout.write.bind(process.stdout);
for (const argv of runs) {
  const program = new Command("botscope").option("--config <file>").option("--db <url>");
  program.addCommand(flowsCommand());
  forestCommands(program.command("ml"));
  let out = "";
  let err = "";
  const override = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (out += s) });
    c.commands.forEach(override);
  };
  override(program);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  let code = 0;
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof UserError) {
      code = e.exitCode;
      err += e.message;
    } else {
      code = 70;
      err += (e as Error).stack;
    }
  } finally {
    process.stdout.write = write;
  }
  results.push({ code, out, err });
}
write(`${JSON.stringify(results)}\n`);
