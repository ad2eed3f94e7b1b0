/**
 * `botscope serve`: the dashboard and its JSON API over the store (src/server), on 127.0.0.1:8400 by
 * default. Off loopback an access token is required; plain IPs only with the passphrase and --reveal-ips.
 */
import { Command } from "commander";
import { assertCanReveal } from "../../app/reveal.ts";
import type { Config } from "../../core/config.ts";
import { UserError } from "../../core/errors.ts";
import { GeoLookup } from "../../geo/geo.ts";
import { buildServer } from "../../server/app.ts";
import type { Store } from "../../store/open.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson } from "../output.ts";

export interface ServeOptions {
  host: string;
  port: number;
  token?: string;
  revealIps?: boolean;
  ui?: string;
  /** Try a free port when `port` is taken (the demo), instead of failing. */
  anyPortIfBusy?: boolean;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Builds the server and listens; the caller owns the store. `storeUrl` (the store's own URL) lets
 * clustering run in a worker thread with a second connection.
 */
export async function startServer(
  store: Store,
  config: Config,
  o: ServeOptions,
  storeUrl?: string,
): Promise<RunningServer> {
  if (o.revealIps) await assertCanReveal(store, config);
  let geo: Promise<GeoLookup | undefined> | undefined;
  const app = await buildServer({
    store,
    config,
    host: o.host,
    token: o.token,
    revealIps: o.revealIps,
    uiDir: o.ui,
    storeUrl,
    geo: () => (geo ??= GeoLookup.open().catch(() => undefined)),
  });
  let address: string;
  try {
    address = await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE" && o.anyPortIfBusy) address = await app.listen({ host: o.host, port: 0 });
    else {
      await app.close();
      if (err.code === "EADDRINUSE")
        throw new UserError(`port ${o.port} is in use: choose another with --port`);
      if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND")
        throw new UserError(`cannot listen on ${o.host}: no such local address`);
      throw e;
    }
  }
  const url = `${address}/`;
  return { url, close: () => app.close() };
}

/** Resolves on Ctrl-C or SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("the dashboard and its JSON API over the store (http://127.0.0.1:8400/)")
    .option("--host <address>", "address to listen on (anything but loopback needs --token)", "127.0.0.1")
    .option("--port <n>", "port", integerArg, 8400)
    .option("--token <token>", "access token for the API (default: BOTSCOPE_SERVE_TOKEN)")
    .option("--reveal-ips", "show plain IPs (needs the passphrase, BOTSCOPE_PASSPHRASE)")
    .option("--ui <dir>", "the built dashboard (default: dist/ui of this installation)")
    .option("--json", "print the URL as JSON")
    .action(
      action(async (ctx, o: ServeOptions) => {
        if (o.port < 0 || o.port > 65535) throw new UserError("--port: expected 0..65535");
        const store = await ctx.store();
        const server = await startServer(store, ctx.config, o, ctx.config.store.url);
        if (ctx.json) printJson({ url: server.url, store: store.location, revealIps: Boolean(o.revealIps) });
        else
          process.stdout.write(
            `botscope dashboard on ${server.url} (store ${store.location}${o.revealIps ? ", IPs revealed" : ""}${o.token || process.env.BOTSCOPE_SERVE_TOKEN ? ", token required" : ""}); Ctrl-C stops it\n`,
          );
        await untilStopped();
        await server.close();
      }),
    );
}
