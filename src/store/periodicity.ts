import type { Insertable, Selectable } from "kysely";
import type { Store } from "./open.ts";
import type { PeriodicityFindingTable } from "./schema.ts";

export type PeriodicityFinding = Selectable<PeriodicityFindingTable>;
export type NewPeriodicityFinding = Insertable<PeriodicityFindingTable>;

/** Rows per INSERT: keeps the bound parameters under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

/** Bulk insert in one transaction: all of the findings or none. */
export async function insertPeriodicityFindings(store: Store, rows: NewPeriodicityFinding[]): Promise<void> {
  if (rows.length === 0) return;
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += CHUNK)
      await trx
        .insertInto("periodicity_findings")
        .values(rows.slice(i, i + CHUNK))
        .execute();
  });
}

/** A run's findings: host rows (no destination) and contact rows, in insertion order. */
export async function findingsOfRun(store: Store, runId: number): Promise<PeriodicityFinding[]> {
  return store.db
    .selectFrom("periodicity_findings")
    .selectAll()
    .where("run_id", "=", runId)
    .orderBy("id")
    .execute();
}

/** Distinct source hosts with findings, per run. */
export async function periodicHostCounts(store: Store): Promise<Map<number, number>> {
  const rows = await store.db
    .selectFrom("periodicity_findings")
    .select(["run_id", (eb) => eb.fn.count<number>("src_hash").distinct().as("hosts")])
    .groupBy("run_id")
    .execute();
  return new Map(rows.map((r) => [r.run_id, Number(r.hosts)]));
}
