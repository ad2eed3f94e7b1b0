/**
 * The dashboard server: the JSON API under /api (routes in this directory, each a thin layer over
 * src/app) and the built UI (dist/ui) everywhere else. `buildServer` returns a fastify instance that is
 * not yet listening: tests use `inject`, `botscope serve` calls `listen`.
 */
import { existsSync } from "node:fs";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyInstance } from "fastify";
import { Compute } from "../app/compute.ts";
import { type IncidentJob, IncidentJobs } from "../app/incident-jobs.ts";
import { Revealer } from "../app/reveal.ts";
import type { Config } from "../core/config.ts";
import { UsageError } from "../core/errors.ts";
import { projectPath } from "../core/paths.ts";
import type { GeoLookup } from "../geo/geo.ts";
import type { Store } from "../store/open.ts";
import { registerAnomalyRoutes } from "./anomaly.ts";
import { registerAttackRoutes } from "./attacks.ts";
import { installAuth, resolveToken } from "./auth.ts";
import { registerBotnetRoutes } from "./botnets.ts";
import { registerClusterRoutes } from "./clusters.ts";
import type { ServerContext } from "./context.ts";
import { errorBody, installErrorHandler } from "./errors.ts";
import { registerHostRoutes } from "./hosts.ts";
import { registerIncidentRoutes } from "./incidents.ts";
import { registerPeriodicityRoutes } from "./periodicity.ts";

export const VERSION = "0.1.0";

/** Where `npm run build:ui` puts the dashboard. */
export const DEFAULT_UI_DIR = projectPath("dist", "ui");

export interface ServerOptions {
  store: Store;
  config: Config;
  /**
   * The store's URL: clustering and the proposal then run in a worker thread with its own connection,
   * so the server keeps answering (without it they run on the event loop).
   */
  storeUrl?: string;
  /** The address it will listen on: decides whether a token is required (default 127.0.0.1). */
  host?: string;
  /** Access token (else BOTSCOPE_SERVE_TOKEN); required off loopback. */
  token?: string;
  /** Decrypt IPs in answers (needs the passphrase in the config). */
  revealIps?: boolean;
  uiDir?: string;
  /** Country/ASN lookup for incidents created from the dashboard (opened on first use). */
  geo?: () => Promise<GeoLookup | undefined>;
  logger?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface BotscopeServer extends FastifyInstance {
  botscope: { jobs: IncidentJobs; token: string | undefined; revealIps: boolean };
}

const NO_UI_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>botscope</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>botscope</h1>
<p>The dashboard is not built yet. Run <code>npm run build:ui</code> and reload this page.</p>
<p>The JSON API answers under <a href="/api/health">/api</a> (see docs/api.md).</p>
</body></html>
`;

export async function buildServer(opts: ServerOptions): Promise<BotscopeServer> {
  const host = opts.host ?? "127.0.0.1";
  const token = resolveToken(host, opts.token, opts.env ?? process.env);
  const revealIps = Boolean(opts.revealIps);
  if (revealIps && !opts.config.privacy.passphrase)
    throw new UsageError(
      "--reveal-ips needs the passphrase: set BOTSCOPE_PASSPHRASE (or privacy.passphrase)",
    );

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 1 << 20,
  });
  const ctx: ServerContext = {
    store: opts.store,
    config: opts.config,
    revealer: new Revealer(opts.store, opts.config, revealIps),
    jobs: new IncidentJobs(opts.store, opts.config, opts.geo),
    compute: new Compute(opts.store, opts.config, opts.storeUrl),
  };
  (app as unknown as BotscopeServer).botscope = { jobs: ctx.jobs, token, revealIps };

  installErrorHandler(app);
  installAuth(app, token);

  app.get("/api/health", async () => ({
    ok: true,
    version: VERSION,
    revealIps,
    store: opts.store.dialect,
    auth: token !== undefined,
  }));
  registerIncidentRoutes(app, ctx);
  registerClusterRoutes(app, ctx);
  registerAttackRoutes(app, ctx);
  registerBotnetRoutes(app, ctx);
  registerAnomalyRoutes(app, ctx);
  registerHostRoutes(app, ctx);
  registerPeriodicityRoutes(app, ctx);

  const uiDir = opts.uiDir ?? DEFAULT_UI_DIR;
  const hasUi = existsSync(`${uiDir}/index.html`);
  if (hasUi) await app.register(fastifyStatic, { root: uiDir, wildcard: false, index: "index.html" });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    if (path === "/api" || path.startsWith("/api/"))
      return reply.status(404).send(errorBody(404, `no route ${req.method} ${path}`));
    if (req.method !== "GET" && req.method !== "HEAD")
      return reply.status(404).send(errorBody(404, `no route ${req.method} ${path}`));
    // client-side routes get the app; a missing asset (a path with an extension) is a plain 404
    if (hasUi && !/\.[a-z0-9]+$/i.test(path)) return reply.type("text/html").sendFile("index.html");
    if (!hasUi)
      return reply
        .status(path === "/" ? 200 : 404)
        .type("text/html")
        .send(NO_UI_PAGE);
    return reply.status(404).send(errorBody(404, `no file ${path}`));
  });

  app.addHook("onClose", async () => {
    await ctx.jobs.idle();
    await ctx.compute.close();
  });
  return app as unknown as BotscopeServer;
}

export type { IncidentJob };
