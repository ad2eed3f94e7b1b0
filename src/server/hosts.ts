/** Flow runs and the hosts a detect run scored. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { flowRuns, hostTimeline, runHosts } from "../app/hosts.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";
import { idString, intString } from "./schemas.ts";

const runsQuery = z.object({ kind: z.enum(["detect", "periodicity"]).optional() }).loose();
const runParams = z.object({ id: idString });
const hostsQuery = z
  .object({
    status: z.enum(["red", "yellow", "clear"]).optional(),
    model: z.string().min(1).max(200).optional(),
    limit: intString(1, 1000).default(100),
    offset: intString(0, 1_000_000_000).default(0),
  })
  .loose();
const hostParams = z.object({
  id: idString,
  host: z.string().regex(/^[A-Za-z0-9_-]{22}$/, "expected a host hash (22 characters base64url)"),
});

export function registerHostRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/flow-runs", async (req) => flowRuns(ctx.store, parse(runsQuery, req.query, "query").kind));
  app.get("/api/flow-runs/:id/hosts", async (req) => {
    const { id } = parse(runParams, req.params, "params");
    return runHosts(ctx.store, id, ctx.revealer, parse(hostsQuery, req.query, "query"));
  });
  app.get("/api/flow-runs/:id/hosts/:host", async (req) => {
    const { id, host } = parse(hostParams, req.params, "params");
    return hostTimeline(ctx.store, id, host, ctx.revealer);
  });
}
