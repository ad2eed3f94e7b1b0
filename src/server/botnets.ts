/** The botnet registry: every botnet, and one botnet's history. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { botnetDetail, botnetList } from "../app/attack-views.ts";
import type { ServerContext } from "./context.ts";
import { parse } from "./errors.ts";

const params = z.object({ idOrName: z.string().min(1).max(200) });

export function registerBotnetRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/botnets", async () => botnetList(ctx.store));
  app.get("/api/botnets/:idOrName", async (req) =>
    botnetDetail(ctx.store, parse(params, req.params, "params").idOrName),
  );
}
