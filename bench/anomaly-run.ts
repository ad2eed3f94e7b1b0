/** Child process of anomaly.bench.ts: runs `anomaly score FILE --out OUT --json` as the CLI does. */
import { Command } from "commander";
import { anomalyCommand } from "../src/cli/commands/anomaly.ts";

const [input, out] = process.argv.slice(2);
const t = performance.now();
const program = new Command("botscope").option("--config <file>").option("--db <url>");
program.addCommand(anomalyCommand());
const write = process.stdout.write.bind(process.stdout);
let captured = "";
process.stdout.write = ((chunk: string) => {
  captured += chunk;
  return true;
}) as typeof process.stdout.write;
await program.parseAsync(["anomaly", "score", input, "--out", out, "--json"], { from: "user" });
process.stdout.write = write;
const r = JSON.parse(captured);
write(`${JSON.stringify({ rows: r.rows, seconds: (performance.now() - t) / 1000 })}\n`);
