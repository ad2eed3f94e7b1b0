/** Stored periodicity runs: hosts with periodic peers, periods, scores and phase histograms. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { flowRuns } from "../app/hosts.ts";
import { periodicityRun } from "../app/periodicity.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";
import { idString } from "./schemas.ts";

const runParams = z.object({ id: idString });

export function registerPeriodicityRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/periodicity/runs", async () => flowRuns(ctx.store, "periodicity"));
  app.get("/api/periodicity/runs/:id", async (req) =>
    periodicityRun(ctx.store, parse(runParams, req.params, "params").id, ctx.revealer),
  );
}
