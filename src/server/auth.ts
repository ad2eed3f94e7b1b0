/**
 * The access token: required when the server listens on anything but loopback, optional otherwise.
 * Accepted as `Authorization: Bearer <token>` or `?token=<token>`, compared in constant time (hashes of
 * equal length, so neither content nor length leaks through timing). Only /api needs it: the UI's files
 * hold no data.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { UsageError } from "../core/errors.ts";
import { errorBody } from "./errors.ts";

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h.startsWith("::ffff:")) return isLoopback(h.slice(7));
  return false;
}

/** The token the server runs with: --token, else BOTSCOPE_SERVE_TOKEN; refused without one off loopback. */
export function resolveToken(host: string, token: string | undefined, env = process.env): string | undefined {
  const t = token ?? env.BOTSCOPE_SERVE_TOKEN;
  if (t !== undefined && t.length < 8)
    throw new UsageError("the access token must have at least 8 characters");
  if (!t && !isLoopback(host))
    throw new UsageError(
      `--host ${host} is not loopback: give an access token (--token or BOTSCOPE_SERVE_TOKEN) so that only you can read the store`,
    );
  return t || undefined;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

function givenToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    return m ? m[1] : undefined;
  }
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === "string" ? q : undefined;
}

/**
 * Whether a request reaches the API: by the route it matched, else by its percent-decoded path (the router
 * decodes "/%61pi/..." to "/api/..."; a path that does not decode is treated as API and needs the token).
 */
function underApi(req: FastifyRequest): boolean {
  const isApi = (p: string) => p === "/api" || p.startsWith("/api/");
  const route = req.routeOptions.url;
  if (route !== undefined && isApi(route)) return true;
  const raw = req.url.split("?")[0];
  try {
    return isApi(decodeURIComponent(raw));
  } catch {
    return true;
  }
}

export function installAuth(app: FastifyInstance, token: string | undefined): void {
  if (!token) return;
  app.addHook("onRequest", async (req, reply) => {
    if (!underApi(req)) return;
    if (tokenMatches(token, givenToken(req))) return;
    return reply
      .status(401)
      .header("www-authenticate", 'Bearer realm="botscope"')
      .send(
        errorBody(401, "missing or wrong access token: send Authorization: Bearer <token> or ?token=<token>"),
      );
  });
}
