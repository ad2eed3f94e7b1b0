/** Incidents: list, create (optionally from a log on the server, in the background), show, delete; sessions. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { featureList, requireIncident, sessionRows } from "../app/explore.ts";
import { deleteIncident, type IncidentRow, listIncidents } from "../store/incidents.ts";
import { SESSION_FEATURES } from "../store/schema.ts";
import type { SessionSortColumn } from "../store/session-aggregates.ts";
import { incidentFlags } from "../store/session-aggregates.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";
import { incidentParams, intString, timeValue } from "./schemas.ts";

const listQuery = z.object({ target: z.string().min(1).max(255).optional() }).loose();

const createBody = z
  .object({
    target: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .regex(/^[A-Za-z0-9._:-]+$/, "expected a host name"),
    from: timeValue,
    to: timeValue,
    source: z.string().min(1).max(4096).optional(),
    comment: z.string().max(2000).optional(),
  })
  .strict();

const SORTS: Record<string, SessionSortColumn> = {
  id: "id",
  start_time: "start_time",
  end_time: "end_time",
  requests: "requests",
  country: "country",
  asn: "asn",
  banned: "banned",
  cluster: "cluster_index",
  cluster2: "cluster_index2",
  attack: "attack",
  ...Object.fromEntries(SESSION_FEATURES.map((f) => [f, f])),
};

const optionalLabel = intString(-1, 1_000_000)
  .transform((n) => (n === -1 ? null : n))
  .optional();

const sessionsQuery = z
  .object({
    limit: intString(1, 1000).default(50),
    offset: intString(0, 1_000_000_000).default(0),
    sort: z
      .string()
      .default("id")
      .refine((s) => s.replace(/^-/, "") in SORTS, {
        message: `expected one of ${Object.keys(SORTS).join(", ")} (prefix - for descending)`,
      }),
    cluster: optionalLabel,
    cluster2: optionalLabel,
    attack: optionalLabel,
  })
  .loose();

export function registerIncidentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const view = async (rows: IncidentRow[]) => {
    const flags = await incidentFlags(ctx.store);
    return rows.map((r) => ({
      id: r.id,
      target: r.target,
      start: Number(r.start),
      stop: r.stop == null ? null : Number(r.stop),
      status: r.status,
      origin: r.origin,
      source: r.source,
      comment: r.comment,
      createdAt: Number(r.created_at),
      sessions: r.sessions,
      attacks: flags.get(r.id)?.attacks ?? 0,
      clustered: flags.get(r.id)?.clustered ?? false,
      job: ctx.jobs.get(r.id),
    }));
  };
  const one = async (id: number) => (await view([await requireIncident(ctx.store, id)]))[0];

  app.get("/api/incidents", async (req) => {
    const q = parse(listQuery, req.query, "query");
    return view(await listIncidents(ctx.store, { target: q.target }));
  });

  app.post("/api/incidents", async (req, reply) => {
    const b = parse(createBody, req.body, "body");
    const id = await ctx.jobs.create(b);
    return reply.status(201).send(await one(id));
  });

  app.get("/api/incidents/:id", async (req) => one(parse(incidentParams, req.params, "params").id));

  app.delete("/api/incidents/:id", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    await requireIncident(ctx.store, id);
    ctx.jobs.assertIdle(id);
    await deleteIncident(ctx.store, id);
    return { deleted: id };
  });

  app.get("/api/incidents/:id/features", async (req) => {
    await requireIncident(ctx.store, parse(incidentParams, req.params, "params").id);
    return featureList();
  });

  app.get("/api/incidents/:id/sessions", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const q = parse(sessionsQuery, req.query, "query");
    return sessionRows(ctx.store, id, ctx.revealer, {
      limit: q.limit,
      offset: q.offset,
      sort: SORTS[q.sort.replace(/^-/, "")],
      desc: q.sort.startsWith("-"),
      filter: { cluster: q.cluster, cluster2: q.cluster2, attack: q.attack },
    });
  });
}
