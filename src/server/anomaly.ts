/** The anomaly watcher's targets, series (with the threshold) and events. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { anomalyEvents, anomalySeriesView, anomalyTargets } from "../app/anomaly-views.ts";
import { SIGNALS } from "../watch/series.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";
import { intString, timeValue } from "./schemas.ts";

const target = z.string().trim().min(1).max(255);
const seriesQuery = z
  .object({
    target,
    signal: z.enum(SIGNALS),
    from: timeValue.optional(),
    to: timeValue.optional(),
    maxPoints: intString(10, 20_000).default(2000),
  })
  .loose();
const eventsQuery = z
  .object({ target: target.optional(), from: timeValue.optional(), to: timeValue.optional() })
  .loose();

export function registerAnomalyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/anomaly/targets", async () => anomalyTargets(ctx.store));
  app.get("/api/anomaly/series", async (req) => {
    const q = parse(seriesQuery, req.query, "query");
    return anomalySeriesView(ctx.store, { ...q, threshold: ctx.config.anomaly.threshold });
  });
  app.get("/api/anomaly/events", async (req) =>
    anomalyEvents(ctx.store, parse(eventsQuery, req.query, "query")),
  );
}
