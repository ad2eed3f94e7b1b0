/**
 * Child process of bench/flows-detect.bench.ts: runs `botscope flows ...` through the real command
 * (src/cli/commands/flows.ts), so the measured time includes start-up, reading, windows, models and
 * output, as a user sees it.
 */
import { Command } from "commander";
import { flowsCommand } from "../src/cli/commands/flows.ts";

const program = new Command("botscope").option("--config <file>").option("--db <url>");
program.addCommand(flowsCommand());
await program.parseAsync(process.argv.slice(2), { from: "user" });
