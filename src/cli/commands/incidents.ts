import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { exportSessions, SESSION_EXPORT_COLUMNS } from "../../app/export.ts";
import { currentKey } from "../../app/keys.ts";
import { analyzeWeb, type WebAnalyzeSummary } from "../../app/web.ts";
import { UsageError, UserError } from "../../core/errors.ts";
import { GeoLookup } from "../../geo/geo.ts";
import { expandInputs } from "../../ingest/source.ts";
import { readElasticsearch } from "../../ingest/weblog/elasticsearch.ts";
import { parseJsonMapping } from "../../ingest/weblog/json-lines.ts";
import { toCsv } from "../../report/csv.ts";
import { createIncident, deleteIncident, getIncident, listIncidents } from "../../store/incidents.ts";
import type { RequestSource } from "../../web/pipeline.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { isoTime, printJson, printTable } from "../output.ts";
import { type WebInputOptions, webInputOptions, webRunOptions } from "./web.ts";

export function incidentsCommand(): Command {
  const cmd = new Command("incidents").description("incidents: a target under watch for a time range");
  webInputOptions(
    cmd
      .command("create")
      .description("open an incident for a target and time range; with --source, fill it from web logs"),
  )
    .option("--source <files...>", "web logs to read (files, globs, .gz, -), or 'es' for Elasticsearch")
    .option(
      "--es-url <url>",
      "Elasticsearch URL for --source es (auth: BOTSCOPE_ES_API_KEY or BOTSCOPE_ES_USER/PASSWORD)",
    )
    .option("--es-index-prefix <prefix>", "daily index prefix", "deflect.log-")
    .option("--comment <text>", "note stored with the incident")
    .option("--no-geo", "skip country and ASN lookup")
    .action(
      action(
        async (
          ctx,
          o: WebInputOptions & {
            source?: string[];
            comment?: string;
            geo: boolean;
            esUrl?: string;
            esIndexPrefix: string;
          },
        ) => {
          if (!o.target || !o.from || !o.to)
            throw new UsageError("incidents create needs --target, --from and --to");
          const from = Date.parse(o.from) / 1000;
          const to = Date.parse(o.to) / 1000;
          if (!(to > from)) throw new UsageError("--to must be after --from");
          const fromEs = o.source?.length === 1 && o.source[0] === "es";
          if (fromEs && !o.esUrl) throw new UsageError("--source es needs --es-url");
          const store = await ctx.store();
          const { key } = await currentKey(store, ctx.config);
          const incident = await createIncident(store, {
            target: o.target,
            start: from,
            stop: to,
            status: "closed",
            origin: "manual",
            source: o.source ? (o.source[0] === "es" ? `es ${o.esUrl}` : o.source.join(" ")) : null,
            comment: o.comment ?? null,
            key_id: key.id,
          });
          let summary: WebAnalyzeSummary | undefined;
          if (o.source) {
            const target = o.target;
            const env = process.env;
            const files: string[] | RequestSource = fromEs
              ? (onRequest, afterBatch) =>
                  readElasticsearch(
                    {
                      url: o.esUrl!,
                      indexPrefix: o.esIndexPrefix,
                      target,
                      from,
                      to,
                      apiKey: env.BOTSCOPE_ES_API_KEY,
                      username: env.BOTSCOPE_ES_USER,
                      password: env.BOTSCOPE_ES_PASSWORD,
                      jsonFields: o.jsonFields ? parseJsonMapping(o.jsonFields) : undefined,
                    },
                    onRequest,
                    afterBatch,
                  )
              : expandInputs(o.source);
            try {
              summary = await analyzeWeb(store, ctx.config, {
                ...webRunOptions(ctx, o),
                files,
                source: fromEs ? `es ${o.esUrl}` : undefined,
                geo: o.geo ? await GeoLookup.open() : undefined,
                strict: o.strict,
                incidentId: incident.id,
                keepRange: true,
              });
            } catch (e) {
              await deleteIncident(store, incident.id);
              throw e;
            }
          }
          const shown = await getIncident(store, incident.id);
          if (ctx.json) return printJson({ incident: shown, summary });
          process.stdout.write(
            `incident ${incident.id}: ${o.target} ${isoTime(from)} .. ${isoTime(to)}, ${shown?.sessions ?? 0} sessions\n`,
          );
        },
      ),
    );
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
