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

export interface HostAggregate {
  host_hash: string;
  host_encrypted: string | null;
  model: string;
  max_score: number;
  windows: number;
  red_windows: number;
  yellow_windows: number;
  flows: number;
  botnet_flows: number;
  first_red: number | null;
}

/**
 * Per host and model of a run: windows, red/yellow windows, highest score, flow counts, first red window;
 * worst first (red, yellow, clear), then by highest score; one page of them and how many there are.
 */
export async function hostAggregates(
  store: Store,
  runId: number,
  filter: { model?: string; worst?: "red" | "yellow" | "clear"; limit?: number; offset?: number } = {},
): Promise<{ total: number; rows: HostAggregate[] }> {
  const grouped = () => {
    let q = store.db
      .selectFrom("host_scores")
      .select((eb) => [
        "host_hash",
        eb.fn.max("host_encrypted").as("host_encrypted"),
        "model",
        eb.fn.max("score").as("max_score"),
        eb.fn.countAll().as("windows"),
        eb.fn.sum(eb.case().when("status", "=", "red").then(1).else(0).end()).as("red_windows"),
        eb.fn.sum(eb.case().when("status", "=", "yellow").then(1).else(0).end()).as("yellow_windows"),
        eb.fn.sum("flows").as("flows"),
        eb.fn.sum("botnet_flows").as("botnet_flows"),
        eb.fn.min(eb.case().when("status", "=", "red").then(eb.ref("window_start")).end()).as("first_red"),
        eb.fn
          .max(
            eb.case().when("status", "=", "red").then(2).when("status", "=", "yellow").then(1).else(0).end(),
          )
          .as("worst"),
      ])
      .where("run_id", "=", runId)
      .groupBy(["host_hash", "model"]);
    if (filter.model) q = q.where("model", "=", filter.model);
    return q.as("h");
  };
  const rank = { red: 2, yellow: 1, clear: 0 } as const;
  const worst = filter.worst === undefined ? undefined : rank[filter.worst];
  let count = store.db.selectFrom(grouped()).select((eb) => eb.fn.countAll().as("n"));
  if (worst !== undefined) count = count.where("h.worst", "=", worst);
  const total = Number((await count.executeTakeFirstOrThrow()).n);
  let q = store.db
    .selectFrom(grouped())
    .selectAll()
    .orderBy("h.worst", "desc")
    .orderBy("h.max_score", "desc")
    .orderBy("h.host_hash")
    .orderBy("h.model");
  if (worst !== undefined) q = q.where("h.worst", "=", worst);
  if (filter.limit !== undefined) q = q.limit(filter.limit).offset(filter.offset ?? 0);
  const rows = await q.execute();
  return {
    total,
    rows: rows.map((r) => ({
      host_hash: r.host_hash,
      host_encrypted: (r.host_encrypted as string | null) ?? null,
      model: r.model,
      max_score: Number(r.max_score),
      windows: Number(r.windows),
      red_windows: Number(r.red_windows),
      yellow_windows: Number(r.yellow_windows),
      flows: Number(r.flows),
      botnet_flows: Number(r.botnet_flows),
      first_red: r.first_red == null ? null : Number(r.first_red),
    })),
  };
}

/** Per run: distinct hosts scored, hosts red in some window, and hosts yellow at worst (as `flows detect`). */
export async function runHostCounts(
  store: Store,
): Promise<Map<number, { hosts: number; red: number; yellow: number }>> {
  const rows = await store.db
    .selectFrom((db) =>
      db
        .selectFrom("host_scores")
        .select((eb) => [
          "run_id",
          eb.fn
            .max(
              eb
                .case()
                .when("status", "=", "red")
                .then(2)
                .when("status", "=", "yellow")
                .then(1)
                .else(0)
                .end(),
            )
            .as("worst"),
        ])
        .groupBy(["run_id", "host_hash"])
        .as("h"),
    )
    .select((eb) => [
      "h.run_id",
      eb.fn.countAll().as("hosts"),
      eb.fn.sum(eb.case().when("h.worst", "=", 2).then(1).else(0).end()).as("red"),
      eb.fn.sum(eb.case().when("h.worst", "=", 1).then(1).else(0).end()).as("yellow"),
    ])
    .groupBy("h.run_id")
    .execute();
  return new Map(
    rows.map((r) => [r.run_id, { hosts: Number(r.hosts), red: Number(r.red), yellow: Number(r.yellow) }]),
  );
}
