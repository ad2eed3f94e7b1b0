/**
 * Store: bulk session writes through the store layer (Kysely, one transaction, chunked multi-row
 * INSERTs) against the fastest raw better-sqlite3 path (one prepared statement per row in a transaction).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { createIncident } from "../src/store/incidents.ts";
import { openStore } from "../src/store/open.ts";
import { type NewSession, SESSION_FEATURES } from "../src/store/schema.ts";
import { insertSessions } from "../src/store/sessions.ts";
import type { Figure } from "./run.ts";

const N = 100_000;

function sessions(incidentId: number): NewSession[] {
  return Array.from({ length: N }, (_, i) => {
    const s: Record<string, unknown> = {
      incident_id: incidentId,
      ip_hash: `hash${i}`,
      session_number: i,
      start_time: 1e9 + i,
      end_time: 1e9 + i + 60,
      requests: 10,
    };
    for (const f of SESSION_FEATURES) s[f] = i * 0.5;
    return s as unknown as NewSession;
  });
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "botscope-bench-"));
  try {
    const store = await openStore(join(dir, "a.db"));
    const incident = await createIncident(store, {
      target: "bench.example",
      start: 0,
      status: "closed",
      origin: "manual",
    });
    const rows = sessions(incident.id);
    let t = performance.now();
    await insertSessions(store, rows);
    const ours = N / ((performance.now() - t) / 1000);
    await store.close();

    const raw = new SqliteDatabase(join(dir, "b.db"));
    raw.pragma("journal_mode = WAL");
    raw.pragma("synchronous = NORMAL");
    const cols = [
      "incident_id",
      "ip_hash",
      "session_number",
      "start_time",
      "end_time",
      "requests",
      ...SESSION_FEATURES,
    ];
    raw.exec(`create table sessions (id integer primary key, ${cols.join(",")})`);
    const stmt = raw.prepare(
      `insert into sessions (${cols.join(",")}) values (${cols.map(() => "?").join(",")})`,
    );
    t = performance.now();
    raw.transaction(() => {
      for (const r of rows) stmt.run(cols.map((c) => (r as Record<string, unknown>)[c] ?? null));
    })();
    const reference = N / ((performance.now() - t) / 1000);
    raw.close();
    return [
      {
        name: "store bulk insert (sqlite)",
        value: ours,
        unit: "sessions/s",
        reference: { name: "raw better-sqlite3 prepared insert", value: reference },
        better: "higher",
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
