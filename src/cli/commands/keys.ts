import { Command } from "commander";
import { addKey } from "../../app/keys.ts";
import { listKeys } from "../../store/keys.ts";
import { action } from "../context.ts";
import { isoTime, printJson, printTable } from "../output.ts";

export function keysCommand(): Command {
  const cmd = new Command("keys").description("IP encryption keys (the registry stores fingerprints only)");
  cmd
    .command("add")
    .description("register a key derived from BOTSCOPE_PASSPHRASE; new incidents use the newest key it opens")
    .option("--comment <text>", "note stored with the key")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, opts: { comment?: string }) => {
        const key = await addKey(await ctx.store(), ctx.config, opts.comment);
        const shown = { id: key.id, fingerprint: key.fingerprint, kdf: key.kdf, comment: key.comment };
        if (ctx.json) return printJson(shown);
        process.stdout.write(`registered key ${key.id} (fingerprint ${key.fingerprint})\n`);
      }),
    );
  cmd
    .command("list")
    .description("list registered keys")
    .option("--json", "as JSON")
    .action(
      action(async (ctx) => {
        const keys = await listKeys(await ctx.store());
        const rows = keys.map((k) => ({
          id: k.id,
          fingerprint: k.fingerprint,
          kdf: `${k.kdf} ${k.params}`,
          created: isoTime(k.created_at),
          comment: k.comment,
        }));
        if (ctx.json) return printJson(rows);
        printTable(
          ["id", "fingerprint", "kdf", "created", "comment"],
          rows.map((r) => [r.id, r.fingerprint, r.kdf, r.created, r.comment]),
        );
      }),
    );
  return cmd;
}
