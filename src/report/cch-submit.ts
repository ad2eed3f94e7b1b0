/**
 * Delivery of clearing-house reports: one POST per report (JSON body, as the CCH API v2 takes them) with
 * a token header, retries with exponential backoff, and a spool directory so that no report is lost
 * when the endpoint fails. Every report is written to the spool before it is sent (write-ahead: a crash
 * or a dead endpoint leaves it there) and removed only after a 2xx answer; the next run sends what the
 * spool still holds, oldest first, before its own reports. A report the endpoint refuses outright (a
 * 4xx other than 408/429) is moved to <spool>/rejected for a person to look at.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../core/errors.ts";
import type { CchReport } from "./cch.ts";

export interface SubmitOptions {
  url: string;
  /** The token; sent as `Authorization: Token token="..."` (CCH API v2) unless tokenHeader is set. */
  token?: string;
  /** Send the token raw in this header instead (e.g. X-API-Key). */
  tokenHeader?: string;
  spoolDir: string;
  /** Retries after the first attempt, per report (default 4). */
  retries?: number;
  /** First backoff delay (ms), doubled each retry (default 500). */
  backoffMs?: number;
  /** Per-request timeout (ms, default 10 000). */
  timeoutMs?: number;
  /** Called on each failed attempt (for logging). */
  onAttemptFailed?: (file: string, attempt: number, why: string) => void;
}

export interface SubmitResult {
  /** Reports accepted in this run (spooled ones from earlier runs included). */
  sent: number;
  /** Of those, reports left over from earlier runs. */
  resent: number;
  /** Reports still in the spool (to be sent by the next run). */
  spooled: number;
  /** Reports the endpoint refused outright (4xx other than 408/429): moved to <spool>/rejected, kept. */
  rejected: number;
  /** Why the last delivery failed, if one did. */
  lastError?: string;
}

let sequence = 0;

/** Writes reports to the spool (atomically: a temporary name, then renamed); returns their file names. */
export function spoolReports(dir: string, reports: readonly CchReport[]): string[] {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (const r of reports) {
    const name = `${Date.now().toString().padStart(15, "0")}-${String(sequence++).padStart(6, "0")}-${randomBytes(4).toString("hex")}.json`;
    const tmp = join(dir, `.${name}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(r)}\n`);
    renameSync(tmp, join(dir, name));
    names.push(name);
  }
  return names;
}

/** The spooled report files, oldest first. */
export function spooledFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".json") && !f.startsWith("."))
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

type Outcome = { ok: true } | { ok: false; retry: boolean; why: string };

async function postOnce(body: string, o: SubmitOptions): Promise<Outcome> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.token) {
    if (o.tokenHeader) headers[o.tokenHeader] = o.token;
    else headers.authorization = `Token token="${o.token}"`;
  }
  try {
    const res = await fetch(o.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
    // drain the body so the connection can be reused
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true };
    const retry = res.status >= 500 || res.status === 408 || res.status === 429;
    return { ok: false, retry, why: `HTTP ${res.status}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    return { ok: false, retry: true, why: err.cause?.code ?? err.cause?.message ?? err.message };
  }
}

/**
 * Spools `reports`, then sends everything in the spool, oldest first. A report that still fails after
 * its retries stops the run's deliveries (the endpoint is down): it and the rest stay spooled.
 */
export async function submitReports(reports: readonly CchReport[], o: SubmitOptions): Promise<SubmitResult> {
  if (!/^https?:\/\//i.test(o.url)) throw new UserError(`--submit: not an http(s) URL: ${o.url}`);
  const before = new Set(spooledFiles(o.spoolDir));
  spoolReports(o.spoolDir, reports);
  const retries = o.retries ?? 4;
  const backoff = o.backoffMs ?? 500;
  const result: SubmitResult = { sent: 0, resent: 0, spooled: 0, rejected: 0 };
  const files = spooledFiles(o.spoolDir);
  let down = false;
  for (const file of files) {
    if (down) break;
    const path = join(o.spoolDir, file);
    let body: string;
    try {
      body = readFileSync(path, "utf8");
      JSON.parse(body);
    } catch {
      // not ours or damaged: leave it for a person to look at
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      const r = await postOnce(body, o);
      if (r.ok) {
        unlinkSync(path);
        result.sent++;
        if (before.has(file)) result.resent++;
        break;
      }
      result.lastError = r.why;
      o.onAttemptFailed?.(file, attempt + 1, r.why);
      if (!r.retry) {
        // refused as it is: keep it out of the way of the others, but keep it
        const rejected = join(o.spoolDir, "rejected");
        mkdirSync(rejected, { recursive: true });
        renameSync(path, join(rejected, file));
        result.rejected++;
        break;
      }
      if (attempt >= retries) {
        down = true;
        break;
      }
      await sleep(backoff * 2 ** attempt);
    }
  }
  result.spooled = spooledFiles(o.spoolDir).length;
  return result;
}
