/**
 * Child process of the ml benchmark: a simulated incident of ROWS sessions with Bothound's ten features,
 * written as raw little-endian float64 rows (SESSION_FEATURES order) to OUT; prints a JSON summary.
 * `node --import tsx bench/ml-incident.ts OUT ROWS`
 *
 * One simulated day gives about 45,000 sessions at 1,200 visitors per hour per site, so the incident is
 * consecutive seeded days (seed 1, 2, ...; two sites each; the default attack scenario with five times
 * the bots), each written with `writeWebSimulation`, cut into sessions by `runWebSessions` (gap 1800 s,
 * per IP) and concatenated in the order the sessions close, until ROWS sessions; the rest of the last
 * day is dropped. Each day's log is deleted once read, so only the features stay in memory.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultAttacks, writeWebSimulation } from "../src/simulate/web.ts";
import { SESSION_FEATURES } from "../src/store/schema.ts";
import { runWebSessions } from "../src/web/pipeline.ts";

const INCIDENT_FEATURES = SESSION_FEATURES.slice(0, 10);
const VISITORS_PER_HOUR = 1200;
const BOT_FACTOR = 5;
const SITES = ["shop.example.org", "news.example.net"];
const DAY_MS = 86_400_000;

const [out, rowsArg] = process.argv.slice(2);
const rows = Number(rowsArg);
if (!out || !(Number.isInteger(rows) && rows > 0)) {
  process.stderr.write("usage: ml-incident.ts OUT ROWS\n");
  process.exit(2);
}
const d = INCIDENT_FEATURES.length;
const data = new Float64Array(rows * d);
const dir = mkdtempSync(join(tmpdir(), "botscope-ml-incident-"));
const t0 = performance.now();
let n = 0;
let lines = 0;
let botSessions = 0;
let days = 0;
try {
  for (let seed = 1; n < rows; seed++) {
    days++;
    const attacks = defaultAttacks(24, SITES).map((a) => ({ ...a, bots: a.bots * BOT_FACTOR }));
    const log = join(dir, "access.log");
    const truth = await writeWebSimulation(
      {
        seed,
        start: new Date(Date.parse("2026-03-02T00:00:00Z") + (seed - 1) * DAY_MS).toISOString(),
        hours: 24,
        sites: SITES,
        visitorsPerHour: VISITORS_PER_HOUR,
        attacks,
      },
      log,
      join(dir, "access.labels.json"),
    );
    lines += truth.lines;
    await runWebSessions(
      [log],
      { gapSeconds: 1800, key: "ip", compat: false, weblog: { format: "combined" } },
      (_target, s) => {
        if (n >= rows) return;
        const f = s.features;
        for (let j = 0; j < d; j++) data[n * d + j] = f[INCIDENT_FEATURES[j]];
        if (truth.actors[s.ip]?.role === "bot") botSessions++;
        n++;
      },
    );
    rmSync(log, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(out, new Uint8Array(data.buffer));
process.stdout.write(
  `${JSON.stringify({ rows: n, days, lines, botSessions, seconds: (performance.now() - t0) / 1000 })}\n`,
);
