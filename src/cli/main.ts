import { Command, CommanderError } from "commander";
import { UserError } from "../core/errors.ts";

/** Adds one module's top-level commands to the program. */
type Install = (program: Command) => void;

// Each module is imported only when one of its commands runs (or for the full help): a command then
// starts without loading the others' dependencies (the store, the server, Arrow, ...), which took
// most of a second. Listed in help order.
const web = async (): Promise<Install> => (await import("./commands/web.ts")).webCommand;
const botnets = async (): Promise<Install> => (await import("./commands/botnets.ts")).botnetCommands;
const COMMANDS: [string, () => Promise<Install>][] = [
  ["demo", async () => add((await import("./commands/demo.ts")).demoCommand())],
  ["simulate", async () => add((await import("./commands/simulate.ts")).simulateCommand())],
  ["incidents", async () => add((await import("./commands/incidents.ts")).incidentsCommand())],
  ["export", async () => add((await import("./commands/incidents.ts")).exportCommand())],
  ["keys", async () => add((await import("./commands/keys.ts")).keysCommand())],
  [
    "ml",
    async () => {
      const [ml, forest] = await Promise.all([import("./commands/ml.ts"), import("./commands/ml-forest.ts")]);
      const cmd = ml.mlCommand();
      forest.forestCommands(cmd);
      return add(cmd);
    },
  ],
  ["flows", async () => add((await import("./commands/flows.ts")).flowsCommand())],
  ["beacons", async () => add((await import("./commands/beacons.ts")).beaconsCommand())],
  ["anomaly", async () => add((await import("./commands/anomaly.ts")).anomalyCommand())],
  ["watch", async () => add((await import("./commands/watch.ts")).watchCommand())],
  ["collect", async () => add((await import("./commands/collect.ts")).collectCommand())],
  ["config", async () => add((await import("./commands/config.ts")).configCommand())],
  ["serve", async () => add((await import("./commands/serve.ts")).serveCommand())],
  ["web", web],
  ["cluster", botnets],
  ["clusters", botnets],
  ["label", botnets],
  ["attacks", botnets],
  ["botnets", botnets],
];

function add(cmd: Command): Install {
  return (program) => program.addCommand(cmd);
}

/** The global options that take a value (skipped when looking for the command's name). */
const VALUED_GLOBALS = new Set(["--config", "--db"]);

/** The command argv names: its first word that is not a global option or its value. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (VALUED_GLOBALS.has(a)) i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/**
 * The program with the commands argv names, or with all of them (help, an unknown or no command), each
 * module's commands installed once.
 */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command("botscope")
    .description(
      "Find bots in traffic: web attacks and botnets, infected hosts from flows, periodic contacts.",
    )
    .version("0.1.0")
    .option("--config <file>", "configuration file (default: ./botscope.yaml when present)")
    .option("--db <url>", "store: SQLite file or postgres:// URL (default ./botscope.db)")
    .showHelpAfterError("(run with --help for usage)");
  const name = argv && commandName(argv);
  const chosen = COMMANDS.filter(([n]) => n === name);
  const installs = new Set((chosen.length ? chosen : COMMANDS).map(([, load]) => load));
  for (const install of await Promise.all([...installs].map((load) => load()))) install(program);
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
    await (await buildProgram(argv)).parseAsync(argv, { from: "user" });
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
