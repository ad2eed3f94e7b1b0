/** zod schemas for request input shared by the routes: ids, integers, times, feature lists, flags. */
import { z } from "zod";
import { SESSION_FEATURES, type SessionFeature } from "../store/schema.ts";

const FEATURES = new Set<string>(SESSION_FEATURES);

/** A decimal integer in a query string or path. */
export const intString = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^-?\d{1,15}$/, "expected an integer")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected an integer from ${min} to ${max}`);

export const idString = intString(1);

/** A flag in a query string. */
export const boolString = z
  .enum(["1", "0", "true", "false"], { message: "expected 1, 0, true or false" })
  .transform((v) => v === "1" || v === "true");

/** Epoch seconds or an ISO-8601 time, as epoch seconds. */
export const timeValue = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const t = typeof v === "number" ? v : /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v) / 1000;
  if (!Number.isFinite(t)) {
    ctx.addIssue({ code: "custom", message: "expected epoch seconds or an ISO-8601 time" });
    return z.NEVER;
  }
  return t;
});

export const feature = z.string().refine((f) => FEATURES.has(f), {
  error: (issue) => `unknown feature '${String(issue.input)}' (known: ${SESSION_FEATURES.join(", ")})`,
}) as unknown as z.ZodType<SessionFeature, string>;

/** "a,b,c" -> known features, deduplicated. */
export const featureCsv = z.string().transform((text, ctx) => {
  const names = [
    ...new Set(
      text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (names.length === 0) {
    ctx.addIssue({ code: "custom", message: "expected a comma-separated list of features" });
    return z.NEVER;
  }
  const unknown = names.filter((n) => !FEATURES.has(n));
  if (unknown.length) {
    ctx.addIssue({
      code: "custom",
      message: `unknown feature '${unknown[0]}' (known: ${SESSION_FEATURES.join(", ")})`,
    });
    return z.NEVER;
  }
  return names as SessionFeature[];
});

export const levelString = z
  .enum(["1", "2"], { message: "expected 1 or 2" })
  .transform((v) => Number(v) as 1 | 2);

export const incidentParams = z.object({ id: idString });
export const attackParams = z.object({ id: idString, n: intString(1, 1_000_000) });
