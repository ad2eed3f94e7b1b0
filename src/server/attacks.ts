/** Attacks: label by clusters, reports, similar attacks, common IPs, botnet match and assignment, export. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { commonIps, similarAttacks } from "../app/analytics.ts";
import {
  ATTACK_EXPORT_COLUMNS,
  attackDetail,
  attackExport,
  attackList,
  labelAttackClusters,
} from "../app/attack-views.ts";
import { assignBotnet, matchBotnet } from "../app/botnets.ts";
import { requireAttackOf } from "../app/explore.ts";
import { AUTO_FEATURES } from "../app/label.ts";
import { toCsv } from "../report/csv.ts";
import { findBotnet } from "../store/botnets.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";
import { attackParams, featureCsv, idString, incidentParams } from "./schemas.ts";

const labelBody = z
  .object({
    clusters: z.array(z.number().int().min(0)).max(1000),
    clusters2: z.array(z.number().int().min(0)).max(1000).default([]),
    comment: z.string().max(2000).optional(),
    number: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .refine((b) => b.clusters.length + b.clusters2.length > 0, {
    message: "name at least one cluster (clusters or clusters2)",
    path: ["clusters"],
  });

const listQuery = z.object({ incident: idString.optional() }).loose();
const similarQuery = z.object({ features: featureCsv.optional() }).loose();
const assignBody = z
  .object({
    botnet: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\s/?#]+$/, "expected a botnet name without spaces or slashes")
      .refine((s) => !/^\d+$/.test(s), "a botnet name cannot be only digits (ids are numbers)")
      .optional(),
  })
  .strict();
const exportQuery = z.object({ format: z.enum(["csv", "json"]).default("csv") }).loose();

export function registerAttackRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post("/api/incidents/:id/attacks", async (req, reply) => {
    const { id } = parse(incidentParams, req.params, "params");
    const b = parse(labelBody, req.body, "body");
    ctx.jobs.assertIdle(id);
    return reply.status(201).send(await labelAttackClusters(ctx.store, id, b));
  });

  app.get("/api/attacks", async (req) =>
    attackList(ctx.store, parse(listQuery, req.query, "query").incident),
  );

  app.get("/api/incidents/:id/attacks/:n", async (req) => {
    const { id, n } = parse(attackParams, req.params, "params");
    return attackDetail(ctx.store, id, n);
  });

  app.get("/api/incidents/:id/attacks/:n/similar", async (req) => {
    const { id, n } = parse(attackParams, req.params, "params");
    const q = parse(similarQuery, req.query, "query");
    await requireAttackOf(ctx.store, id, n);
    return (await similarAttacks(ctx.store, id, n, q.features ?? AUTO_FEATURES)).map((r) => ({
      ...r,
      distance: Number.isFinite(r.distance) ? r.distance : null,
    }));
  });

  app.get("/api/incidents/:id/attacks/:n/common-ips", async (req) => {
    const { id, n } = parse(attackParams, req.params, "params");
    await requireAttackOf(ctx.store, id, n);
    return commonIps(ctx.store, id, n);
  });

  app.get("/api/incidents/:id/attacks/:n/match", async (req) => {
    const { id, n } = parse(attackParams, req.params, "params");
    await requireAttackOf(ctx.store, id, n);
    return matchBotnet(ctx.store, id, n, { record: false });
  });

  app.post("/api/incidents/:id/attacks/:n/assign", async (req) => {
    const { id, n } = parse(attackParams, req.params, "params");
    const b = parse(assignBody, req.body ?? {}, "body");
    await requireAttackOf(ctx.store, id, n);
    if (b.botnet === undefined) return matchBotnet(ctx.store, id, n, { record: true });
    await assignBotnet(ctx.store, id, n, b.botnet);
    const botnet = (await findBotnet(ctx.store, b.botnet))!;
    return { botnet: { id: botnet.id, name: botnet.name }, decision: "manual" };
  });

  app.get("/api/incidents/:id/attacks/:n/export", async (req, reply) => {
    const { id, n } = parse(attackParams, req.params, "params");
    const q = parse(exportQuery, req.query, "query");
    const rows = await attackExport(ctx.store, ctx.config, id, n, ctx.revealer);
    const name = `incident-${id}-attack-${n}`;
    if (q.format === "json")
      return reply
        .header("content-disposition", `attachment; filename="${name}.json"`)
        .send(rows.map((r) => Object.fromEntries(ATTACK_EXPORT_COLUMNS.map((c) => [c, r[c] ?? null]))));
    return reply
      .header("content-type", "text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="${name}.csv"`)
      .send(toCsv(ATTACK_EXPORT_COLUMNS, rows));
  });
}
