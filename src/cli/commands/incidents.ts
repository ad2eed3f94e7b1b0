import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { exportSessions, SESSION_EXPORT_COLUMNS } from "../../app/export.ts";
import { UserError } from "../../core/errors.ts";
import { toCsv } from "../../report/csv.ts";
import { deleteIncident, getIncident, listIncidents } from "../../store/incidents.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { isoTime, printJson, printTable } from "../output.ts";

export function incidentsCommand(): Command {
  const cmd = new Command("incidents").description("incidents: a target under watch for a time range");
  cmd
    .command("list")
    .description("list incidents")
    .option("--target <host>", "only this target")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, opts: { target?: string }) => {
        const rows = await listIncidents(await ctx.store(), opts);
        if (ctx.json) return printJson(rows);
        printTable(
          ["id", "target", "start", "stop", "status", "origin", "sessions", "key"],
          rows.map((r) => [
            r.id,
            r.target,
            isoTime(r.start),
            isoTime(r.stop),
            r.status,
            r.origin,
            r.sessions,
            r.key_id,
          ]),
        );
      }),
    );
  cmd
    .command("show")
    .argument("<id>", "incident id", integerArg)
    .description("show one incident")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, id: number) => {
        const incident = await getIncident(await ctx.store(), id);
        if (!incident) throw new UserError(`no incident ${id}`);
        if (ctx.json) return printJson(incident);
        for (const [k, v] of Object.entries(incident)) {
          const text = ["start", "stop", "created_at"].includes(k) ? isoTime(v as number) : String(v ?? "");
          process.stdout.write(`${k.padEnd(12)} ${text}\n`);
        }
      }),
    );
  cmd
    .command("delete")
    .argument("<id>", "incident id", integerArg)
    .description("delete an incident with its sessions and attacks")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, id: number) => {
        const deleted = await deleteIncident(await ctx.store(), Number(id));
        if (!deleted) throw new UserError(`no incident ${id}`);
        if (ctx.json) return printJson({ deleted: id });
        process.stdout.write(`deleted incident ${id}\n`);
      }),
    );
  return cmd;
}

export function exportCommand(): Command {
  const cmd = new Command("export").description("export findings for other tools");
  cmd
    .command("sessions")
    .argument("<incident>", "incident id", integerArg)
    .description("sessions of an incident as CSV (IPs only with --reveal-ips and the passphrase)")
    .requiredOption("--out <file>", "CSV file to write ('-' for stdout)")
    .option("--reveal-ips", "decrypt IPs (needs BOTSCOPE_PASSPHRASE of the incident's key)")
    .option("--json", "print a summary as JSON")
    .action(
      action(async (ctx, incident: number, opts: { out: string; revealIps?: boolean }) => {
        const rows = await exportSessions(await ctx.store(), ctx.config, incident, {
          revealIps: Boolean(opts.revealIps),
        });
        const csv = toCsv(SESSION_EXPORT_COLUMNS, rows);
        if (opts.out === "-") process.stdout.write(csv);
        else writeFileSync(opts.out, csv);
        if (opts.out === "-") return;
        if (ctx.json)
          return printJson({ out: opts.out, sessions: rows.length, revealed: Boolean(opts.revealIps) });
        process.stdout.write(`wrote ${rows.length} sessions to ${opts.out}\n`);
      }),
    );
  return cmd;
}
