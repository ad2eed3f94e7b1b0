/** Exploring one incident: scatter, clustering, cluster aggregates, box plots, countries, overlap, proposal. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import {
  clusterAggregates,
  clusterBox,
  clusterOverlap,
  incidentCountries,
  type OverlapAgainst,
  requireCluster,
  requireIncident,
  scatter,
} from "../app/explore.ts";
import { AUTO_FEATURES } from "../app/label.ts";
import type { ServerContext } from "./context.ts";
import { InputError, parse } from "./errors.ts";
import {
  boolString,
  feature,
  featureCsv,
  idString,
  incidentParams,
  intString,
  levelString,
} from "./schemas.ts";

const scatterQuery = z
  .object({
    x: feature.optional(),
    y: feature.optional(),
    z: feature.optional(),
    pca: boolString.default(false),
    features: featureCsv.optional(),
    dims: z.enum(["2", "3"], { message: "expected 2 or 3" }).default("2"),
    sample: intString(1, 20_000).default(5000),
    log: boolString.optional(),
    seed: intString(0, 2 ** 31).default(0),
  })
  .loose()
  .superRefine((q, c) => {
    if (q.pca) {
      if (q.features && q.features.length < 2)
        c.addIssue({ code: "custom", path: ["features"], message: "pca needs at least 2 features" });
    } else {
      if (!q.x) c.addIssue({ code: "custom", path: ["x"], message: "required (or pca=1)" });
      if (!q.y) c.addIssue({ code: "custom", path: ["y"], message: "required (or pca=1)" });
    }
  });

const clusterBody = z
  .object({
    method: z.enum(["dbscan", "kmeans"]),
    features: z.array(feature).min(1).max(21),
    eps: z.number().positive().max(1000).optional(),
    minSamples: z.number().int().min(1).max(100_000).optional(),
    k: z.union([z.number().int().min(1).max(100), z.literal("auto")]).optional(),
    kMin: z.number().int().min(2).max(100).optional(),
    kMax: z.number().int().min(2).max(100).optional(),
    within: z.number().int().min(0).optional(),
    log: z.boolean().optional(),
    scale: z.enum(["standard", "robust"]).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .optional(),
  })
  .strict()
  .superRefine((b, c) => {
    const only = (keys: (keyof typeof b)[], method: string) => {
      for (const k of keys)
        if (b[k] !== undefined)
          c.addIssue({ code: "custom", path: [k], message: `only for method ${method}` });
    };
    if (b.method === "dbscan") only(["k", "kMin", "kMax"], "kmeans");
    else only(["eps", "minSamples"], "dbscan");
    if (b.kMin !== undefined && b.kMax !== undefined && b.kMin > b.kMax)
      c.addIssue({ code: "custom", path: ["kMin"], message: "greater than kMax" });
  });

const levelQuery = z.object({ level: levelString.default(1) }).loose();
const boxQuery = z.object({ feature, level: levelString.default(1) }).loose();
const countriesQuery = z
  .object({
    cluster: intString(0).optional(),
    attack: intString(1).optional(),
    level: levelString.default(1),
  })
  .loose();
const overlapQuery = z
  .object({
    incident: idString.optional(),
    attack: idString.optional(),
    botnet: z.string().min(1).max(200).optional(),
  })
  .loose()
  .refine((q) => [q.incident, q.attack, q.botnet].filter((v) => v !== undefined).length === 1, {
    message: "give exactly one of incident, attack (attack id) or botnet",
  });

export function registerClusterRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/api/incidents/:id/scatter", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const q = parse(scatterQuery, req.query, "query");
    return scatter(ctx.store, id, {
      x: q.x,
      y: q.y,
      z: q.z,
      pca: q.pca ? { features: q.features ?? AUTO_FEATURES, dims: q.dims === "3" ? 3 : 2 } : undefined,
      sample: q.sample,
      log: q.log ?? q.pca,
      seed: q.seed,
    });
  });

  app.post("/api/incidents/:id/cluster", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const b = parse(clusterBody, req.body, "body");
    await requireIncident(ctx.store, id);
    ctx.jobs.assertIdle(id);
    if (b.within !== undefined) await requireCluster(ctx.store, id, 1, b.within);
    return ctx.compute.run({
      kind: "cluster",
      incidentId: id,
      opts: {
        algo: b.method,
        features: b.features,
        eps: b.eps,
        minSamples: b.minSamples,
        k: b.k === "auto" ? undefined : b.k,
        kMin: b.kMin,
        kMax: b.kMax,
        within: b.within,
        log: b.log,
        scale: b.scale,
        seed: b.seed,
      },
    });
  });

  app.get("/api/incidents/:id/clusters", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    return clusterAggregates(ctx.store, id, parse(levelQuery, req.query, "query").level);
  });

  app.get("/api/incidents/:id/clusters/box", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const q = parse(boxQuery, req.query, "query");
    return clusterBox(ctx.store, id, q.feature, q.level);
  });

  app.get("/api/incidents/:id/countries", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const q = parse(countriesQuery, req.query, "query");
    return incidentCountries(ctx.store, id, q.level, { cluster: q.cluster, attack: q.attack });
  });

  app.get("/api/incidents/:id/overlap", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    const q = parse(overlapQuery, req.query, "query");
    const against: OverlapAgainst =
      q.incident !== undefined
        ? { kind: "incident", id: q.incident }
        : q.attack !== undefined
          ? { kind: "attack", id: q.attack }
          : { kind: "botnet", idOrName: q.botnet! };
    if (against.kind === "incident" && against.id === id)
      throw new InputError("query.incident: the same incident", "query.incident");
    return clusterOverlap(ctx.store, id, against);
  });

  app.get("/api/incidents/:id/proposal", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    await requireIncident(ctx.store, id);
    const p = await ctx.compute.run({ kind: "proposal", incidentId: id });
    return { ...p, recorded: false };
  });

  app.post("/api/incidents/:id/proposal", async (req) => {
    const { id } = parse(incidentParams, req.params, "params");
    await requireIncident(ctx.store, id);
    ctx.jobs.assertIdle(id);
    const p = await ctx.compute.run({ kind: "autoLabel", incidentId: id });
    return { ...p, recorded: true };
  });
}
