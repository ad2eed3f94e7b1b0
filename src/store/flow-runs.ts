import type { Insertable, Selectable } from "kysely";
import type { Store } from "./open.ts";
import type { FlowRunTable, HostScoreTable } from "./schema.ts";

export type FlowRun = Selectable<FlowRunTable>;
export type NewFlowRun = Insertable<FlowRunTable>;
export type HostScore = Selectable<HostScoreTable>;
export type NewHostScore = Insertable<HostScoreTable>;

/** Rows per INSERT: keeps the bound parameters under SQLite's and PostgreSQL's limits. */
const CHUNK = 500;

export async function createFlowRun(store: Store, run: NewFlowRun): Promise<FlowRun> {
  return store.db.insertInto("flow_runs").values(run).returningAll().executeTakeFirstOrThrow();
}

/** Marks a run complete (and updates what was only known at the end, such as the parameters). */
export async function finishFlowRun(
  store: Store,
  id: number,
  finishedAt: number,
  parameters?: string | null,
): Promise<void> {
  await store.db
    .updateTable("flow_runs")
    .set(parameters === undefined ? { finished_at: finishedAt } : { finished_at: finishedAt, parameters })
    .where("id", "=", id)
    .execute();
}

/** Removes a run and its host scores (a run that failed half way). */
export async function deleteFlowRun(store: Store, id: number): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("host_scores").where("run_id", "=", id).execute();
    await trx.deleteFrom("flow_runs").where("id", "=", id).execute();
  });
}

/** Bulk insert in one transaction: all of the rows or none. */
export async function insertHostScores(store: Store, rows: NewHostScore[]): Promise<void> {
  if (rows.length === 0) return;
  await store.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx
        .insertInto("host_scores")
        .values(rows.slice(i, i + CHUNK))
        .execute();
    }
  });
}

export async function getFlowRun(store: Store, id: number): Promise<FlowRun | undefined> {
  return store.db.selectFrom("flow_runs").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function listFlowRuns(store: Store, kind?: FlowRun["kind"]): Promise<FlowRun[]> {
  let q = store.db.selectFrom("flow_runs").selectAll();
  if (kind) q = q.where("kind", "=", kind);
  return q.orderBy("id").execute();
}

/** Host scores of a run in window order (optionally of one host hash). */
export async function hostScoresOfRun(store: Store, runId: number, hostHash?: string): Promise<HostScore[]> {
  let q = store.db.selectFrom("host_scores").selectAll().where("run_id", "=", runId);
  if (hostHash) q = q.where("host_hash", "=", hostHash);
  return q.orderBy("window_start").orderBy("model").orderBy("host_hash").orderBy("id").execute();
}
