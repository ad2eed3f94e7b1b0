import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { UserError } from "../core/errors.ts";
import { type BadLineReport, BadLines } from "../ingest/bad-lines.ts";
import { OVERSIZED_LINE, readLineBatches } from "../ingest/source.ts";
import { daysFromCivil } from "../ingest/weblog/time.ts";
import { type AnomalyParams, createState, update } from "./detector.ts";

/**
 * `anomaly score`: streams a `timestamp,value` CSV through one detector and writes
 * `timestamp,value,anomaly_score`, one row per good input row, in order (the alarm score; with `perPoint`
 * each point's own score). Time: ISO-8601 or epoch seconds or
 * milliseconds (numbers above 1e11 are milliseconds). An empty/NaN/null value is a missing sample: the row
 * is written with an empty score and the detector skips it. Rows that cannot be read (binary, wrong column
 * count, bad time, bad number, oversized) are counted with examples and left out; `strict` fails on the
 * first one instead (and removes the partial output).
 */
export interface ScoreCsvResult {
  input: string;
  out: string;
  rows: number;
  scored: number;
  missing: number;
  alarms: number;
  outOfOrder: number;
  header: boolean;
  badLines: BadLineReport;
  seconds: number;
}

const SCORE_TEXT: string[] = Array.from({ length: 10001 }, (_, k) =>
  k === 0 ? "0" : k === 10000 ? "1" : `0.${String(k).padStart(4, "0").replace(/0+$/, "")}`,
);

/** Two decimal digits at f[i], or -1. */
function two(f: string, i: number): number {
  const a = f.charCodeAt(i) - 48;
  const b = f.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Epoch seconds from an ISO-8601 or epoch (s/ms) time field; NaN when unreadable. */
export function parseTime(f: string): number {
  const n = f.length;
  if (n === 0) return Number.NaN;
  const c0 = f.charCodeAt(0);
  if (n >= 10 && f.charCodeAt(4) === 45 && f.charCodeAt(7) === 45) {
    // fast path: YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|+HH:MM|+HHMM]
    const y = two(f, 0) * 100 + two(f, 2);
    const mo = two(f, 5);
    const da = two(f, 8);
    if (two(f, 0) < 0 || two(f, 2) < 0 || mo < 1 || mo > 12 || da < 1 || da > 31) return Number.NaN;
    let secs = 0;
    let i = 10;
    if (i < n) {
      const sep = f.charCodeAt(i);
      if (sep !== 84 && sep !== 32 && sep !== 116) return Date.parse(f) / 1000;
      const h = two(f, 11);
      const mi = f.charCodeAt(13) === 58 ? two(f, 14) : -1;
      if (h < 0 || h > 24 || mi < 0 || mi > 59) return Number.NaN;
      secs = h * 3600 + mi * 60;
      i = 16;
      if (i < n && f.charCodeAt(i) === 58) {
        const s = two(f, 17);
        if (s < 0 || s > 60) return Number.NaN;
        secs += s;
        i = 19;
        if (i < n && (f.charCodeAt(i) === 46 || f.charCodeAt(i) === 44)) {
          let scale = 0.1;
          i++;
          while (i < n) {
            const c = f.charCodeAt(i) - 48;
            if (c < 0 || c > 9) break;
            secs += c * scale;
            scale /= 10;
            i++;
          }
        }
      }
      if (i < n) {
        const z = f.charCodeAt(i);
        if (z === 90 || z === 122) i++;
        else if (z === 43 || z === 45) {
          const oh = two(f, i + 1);
          const om = f.charCodeAt(i + 3) === 58 ? two(f, i + 4) : two(f, i + 3);
          if (oh < 0 || om < 0) return Number.NaN;
          const off = oh * 3600 + om * 60;
          secs -= z === 43 ? off : -off;
          i += f.charCodeAt(i + 3) === 58 ? 6 : 5;
        }
        if (i !== n) return Number.NaN;
      }
    }
    return daysFromCivil(y, mo, da) * 86400 + secs;
  }
  if ((c0 >= 48 && c0 <= 57) || c0 === 45 || c0 === 46) {
    const v = Number(f);
    if (!Number.isFinite(v)) return Number.NaN;
    return Math.abs(v) > 1e11 ? v / 1000 : v;
  }
  return Number.NaN;
}

function isMissing(f: string): boolean {
  if (f.length === 0) return true;
  const l = f.trim().toLowerCase();
  return l === "" || l === "nan" || l === "null" || l === "na" || l === "none";
}

function hasBinary(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c > 126) return true;
  }
  return false;
}

export async function scoreCsv(
  input: string,
  out: string,
  opts: {
    strict?: boolean;
    params?: Partial<AnomalyParams>;
    threshold?: number;
    /** Each point's own score instead of the alarm score (see `update`). */
    perPoint?: boolean;
  } = {},
): Promise<ScoreCsvResult> {
  const started = performance.now();
  const threshold = opts.threshold ?? 0.95;
  const state = createState(opts.params);
  const bad = new BadLines();
  const fd = openSync(out, "w");
  let rows = 0;
  let scored = 0;
  let missing = 0;
  let alarms = 0;
  let outOfOrder = 0;
  let header = false;
  let first = true;
  let lastT = Number.NEGATIVE_INFINITY;
  try {
    writeSync(fd, "timestamp,value,anomaly_score\n");
    for await (const batch of readLineBatches(input)) {
      const parts: string[] = [];
      for (let j = 0; j < batch.lines.length; j++) {
        const line = batch.lines[j];
        const lineNo = batch.firstLine + j;
        const isFirst = first;
        first = false;
        let reason:
          | "empty"
          | "binary"
          | "oversized"
          | "wrong-field-count"
          | "bad-time"
          | "bad-number"
          | null = null;
        let t = Number.NaN;
        let x = Number.NaN;
        let comma = -1;
        if (line.length === 0) reason = "empty";
        else if (line === OVERSIZED_LINE) reason = "oversized";
        else {
          comma = line.indexOf(",");
          if (comma < 0 || line.indexOf(",", comma + 1) >= 0) reason = "wrong-field-count";
          else {
            t = parseTime(
              line.charCodeAt(comma - 1) === 32 ? line.slice(0, comma).trim() : line.slice(0, comma),
            );
            if (Number.isNaN(t)) reason = "bad-time";
            else {
              const vf = line.slice(comma + 1);
              if (vf.length > 0 && vf.charCodeAt(0) > 32) {
                x = Number(vf);
                if (!Number.isFinite(x) && !isMissing(vf)) reason = "bad-number";
                else if (!Number.isFinite(x)) x = Number.NaN;
              } else if (!isMissing(vf)) {
                x = Number(vf.trim()); // a value after a blank, as in "t, 0.5"
                if (!Number.isFinite(x)) reason = "bad-number";
              }
            }
          }
        }
        if (reason !== null && reason !== "empty" && reason !== "oversized" && hasBinary(line))
          reason = "binary";
        if (isFirst && reason !== null && reason !== "empty" && reason !== "binary") {
          header = true; // a first line that is not data is the header
          continue;
        }
        if (reason !== null) {
          if (reason === "empty" && j === batch.lines.length - 1) continue;
          if (opts.strict) {
            throw new UserError(`${input}:${lineNo}: ${reason} row (--strict): ${line.slice(0, 80)}`);
          }
          bad.add(reason, input, lineNo, line);
          continue;
        }
        rows++;
        if (Number.isNaN(x)) {
          missing++;
          parts.push(`${line},`);
          continue;
        }
        if (t < lastT) outOfOrder++;
        else lastT = t;
        const alarm = update(state, t, x);
        const s = opts.perPoint ? state.surprise : alarm;
        scored++;
        if (s > threshold) alarms++;
        parts.push(`${line},${SCORE_TEXT[Math.round(s * 10000)]}`);
      }
      if (parts.length) writeSync(fd, `${parts.join("\n")}\n`);
    }
  } catch (e) {
    closeSync(fd);
    if (opts.strict) rmSync(out, { force: true });
    throw e;
  }
  closeSync(fd);
  return {
    input,
    out,
    rows,
    scored,
    missing,
    alarms,
    outOfOrder,
    header,
    badLines: bad.toJSON(),
    seconds: (performance.now() - started) / 1000,
  };
}
