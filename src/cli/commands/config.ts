import { Command } from "commander";
import { stringify } from "yaml";
import { redactConfig } from "../../core/config.ts";
import { action } from "../context.ts";
import { printJson } from "../output.ts";

export function configCommand(): Command {
  const cmd = new Command("config").description("inspect the configuration");
  cmd
    .command("show")
    .description("print the effective configuration (file, defaults and environment; secrets masked)")
    .option("--json", "as JSON")
    .action(
      action(async (ctx) => {
        const shown = redactConfig(ctx.config);
        if (ctx.json) return printJson({ file: ctx.configPath ?? null, config: shown });
        process.stdout.write(
          `# ${ctx.configPath ? `from ${ctx.configPath}` : "defaults (no botscope.yaml)"}\n`,
        );
        process.stdout.write(stringify(shown));
      }),
    );
  return cmd;
}
