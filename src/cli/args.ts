import { InvalidArgumentError } from "commander";

/** Option parsers: a bad value is a usage error (exit 2) naming the option's expectation. */
export function integerArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("expected an integer");
  return n;
}

export function positiveArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

export function nonNegativeArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number >= 0");
  return n;
}

export function listArg(value: string): string[] {
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError("expected a comma-separated list");
  return items;
}

/** An ISO-8601 time or epoch seconds, returned as an ISO string. */
export function timeArg(value: string): string {
  const t = /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError("expected an ISO-8601 time or epoch seconds");
  return new Date(t).toISOString();
}
