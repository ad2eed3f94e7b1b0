/**
 * One error shape for every /api answer: { error: { code, message, path? } }. Domain errors map to
 * 4xx by class (NotFoundError 404, ConflictError 409, ForbiddenError 403, other UserError 400); bad
 * input names the field (zod path); fastify's own 4xx (bad JSON, body too large) keep their status;
 * anything else is a bug: 500 with no detail, logged.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import type { z } from "zod";
import { ConflictError, ForbiddenError, NotFoundError, UserError } from "../core/errors.ts";

/** Invalid request input, with the path of the offending field ("query.limit", "body.features.2"). */
export class InputError extends UserError {
  override name = "InputError";
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

export class UnauthorizedError extends UserError {
  override name = "UnauthorizedError";
}

/** Parses request input with a zod schema; failures become InputError naming the first bad field. */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "query" | "body" | "params",
): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [where, ...issue.path.map(String)].join(".");
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
  return fail(`${path}: ${issue.message}${more}`, path);
}

function fail(message: string, path: string): never {
  throw new InputError(message, path);
}

const CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  409: "conflict",
  413: "too_large",
  415: "unsupported_media_type",
  429: "too_many_requests",
};

export function errorBody(status: number, message: string, path?: string) {
  return {
    error: {
      code: CODES[status] ?? (status >= 500 ? "internal" : "bad_request"),
      message,
      ...(path ? { path } : {}),
    },
  };
}

function statusOf(e: unknown): number {
  if (e instanceof UnauthorizedError) return 401;
  if (e instanceof NotFoundError) return 404;
  if (e instanceof ConflictError) return 409;
  if (e instanceof ForbiddenError) return 403;
  if (e instanceof UserError) return 400;
  const s = (e as FastifyError)?.statusCode;
  return typeof s === "number" && s >= 400 && s < 500 ? s : 500;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((e, req, reply) => {
    const status = statusOf(e);
    if (status >= 500) {
      req.log.error(e);
      return reply.status(500).send(errorBody(500, "internal error (see the server log)"));
    }
    const err = e as Error & { path?: string };
    let message = err.message;
    // fastify's body errors: say what is wrong in our words
    const code = (e as FastifyError).code;
    if (code === "FST_ERR_CTP_INVALID_JSON_BODY" || (e instanceof SyntaxError && status === 400))
      message = `body: not valid JSON: ${err.message}`;
    else if (code === "FST_ERR_CTP_EMPTY_JSON_BODY") message = "body: empty, but the content type is JSON";
    else if (code === "FST_ERR_CTP_BODY_TOO_LARGE") message = "body: too large";
    else if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") message = `body: send JSON (${err.message})`;
    return reply
      .status(status)
      .send(errorBody(status, message, err instanceof InputError ? err.path : undefined));
  });
}
