/**
 * Session-feature data sets of the ml benchmark: Bothound's real feature vectors (read from
 * ../shared/data, never copied into the repository) and a simulated incident made by the project's own
 * simulator and sessionizer (bench/ml-incident.ts, in a child process, cached in the temp directory).
 * Both have Bothound's ten features in Bothound's order, which is SESSION_FEATURES' first ten.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { Matrix } from "../src/ml/matrix.ts";
import { SESSION_FEATURES } from "../src/store/schema.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

/** Bothound's ten session features, in its order (its feature ids 1..10). */
export const BOTHOUND_FEATURES = SESSION_FEATURES.slice(0, 10);

/** Bothound's feature_db dump: 21,664 sessions of real Deflect traffic. */
export const BOTHOUND_FILE = join(root, "../shared/data/bothound/feature_db-files.txt.gz");

/**
 * Parses Bothound's feature dump, one session a line: `('ip hash', session) {1: 1800, 2: 1.0, ...}`
 * with feature ids 1..10. Throws on a line without all ten.
 */
export function readBothoundFeatures(path: string): Matrix {
  const text = gunzipSync(readFileSync(path)).toString("latin1");
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const d = BOTHOUND_FEATURES.length;
  const data = new Float64Array(lines.length * d);
  const entry = /(\d+)\s*:\s*([^,}\s]+)/g;
  for (const [i, line] of lines.entries()) {
    const brace = line.lastIndexOf("{");
    if (brace < 0) throw new Error(`${path}:${i + 1}: no feature dict`);
    let seen = 0;
    for (const m of line.slice(brace).matchAll(entry)) {
      const id = Number(m[1]);
      const v = Number(m[2]);
      if (!(id >= 1 && id <= d) || !Number.isFinite(v))
        throw new Error(`${path}:${i + 1}: bad entry ${m[0]}`);
      data[i * d + id - 1] = v;
      seen |= 1 << (id - 1);
    }
    if (seen !== (1 << d) - 1) throw new Error(`${path}:${i + 1}: not all ${d} features`);
  }
  return { data, rows: lines.length, cols: d };
}

/**
 * The simulated incident's feature matrix (ROWS x 10). Made once by bench/ml-incident.ts in a child
 * process (about two minutes for 200k rows) and cached in the temp directory under a hash of the code
 * that makes it, so a changed simulator or sessionizer makes a new one.
 */
export function simulatedIncident(rows: number): { m: Matrix; note: string } {
  const dir = join(tmpdir(), "botscope-bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `ml-incident-${rows}-${sourceHash()}.f64`);
  const meta = `${file}.json`;
  let made = "";
  if (!existsSync(file) || !existsSync(meta)) {
    const part = `${file}.${process.pid}.part`;
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", join(here, "ml-incident.ts"), part, `${rows}`],
      {
        encoding: "utf8",
        cwd: root,
      },
    );
    writeFileSync(meta, out.trim().split("\n").pop() ?? "{}");
    renameSync(part, file);
    made = "made now";
  }
  const r = JSON.parse(readFileSync(meta, "utf8")) as {
    days: number;
    lines: number;
    botSessions: number;
    seconds: number;
  };
  const note =
    `${r.days} seeded simulated days of 2 sites concatenated, ${(r.lines / 1e6).toFixed(1)}M log lines, ` +
    `${r.botSessions} bot sessions; ${made || "cached"}, generation took ${r.seconds.toFixed(0)} s`;
  const b = readFileSync(file);
  const data = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  if (data.length !== rows * BOTHOUND_FEATURES.length) throw new Error(`${file}: wrong size`);
  return { m: { data, rows, cols: BOTHOUND_FEATURES.length }, note };
}

/** Hash of the sources the simulated incident depends on. */
function sourceHash(): string {
  const h = createHash("sha256");
  const files = [join(here, "ml-incident.ts"), join(root, "src/core/random.ts")];
  for (const sub of ["src/simulate", "src/web", "src/ingest/weblog"]) {
    for (const f of readdirSync(join(root, sub)).sort()) {
      if (f.endsWith(".ts") && !f.startsWith("flows")) files.push(join(root, sub, f));
    }
  }
  for (const f of files) h.update(f.slice(root.length)).update(readFileSync(f));
  return h.digest("hex").slice(0, 12);
}
