import type { Selectable } from "kysely";
import type { Store } from "./open.ts";
import type { AttackTable, SessionFeature } from "./schema.ts";

export type Attack = Selectable<AttackTable>;

/** Which sessions an attack label takes: by clusters (Bothound's label_attack) or by session ids. */
export type AttackSelection = { clusters: number[]; clusters2: number[] } | { sessionIds: number[] };

/**
 * Bothound's label_attack: sessions of the incident whose cluster_index is in `clusters`, or whose
 * cluster_index2 is in `clusters2` (or the given sessions), become attack `number`; sessions labelled
 * with that number before are unlabelled first, so labelling again replaces. Returns the attack and the
 * number of sessions labelled.
 */
export async function labelAttack(
  store: Store,
  incidentId: number,
  number: number,
  selection: AttackSelection,
  meta: { method: "manual" | "auto"; confidence?: number | null; comment?: string | null },
): Promise<{ attack: Attack; sessions: number }> {
  return store.db.transaction().execute(async (trx) => {
    let attack = await trx
      .selectFrom("attacks")
      .selectAll()
      .where("incident_id", "=", incidentId)
      .where("number", "=", number)
      .executeTakeFirst();
    if (attack) {
      attack = await trx
        .updateTable("attacks")
        .set({
          label_method: meta.method,
          confidence: meta.confidence ?? null,
          comment: meta.comment ?? null,
        })
        .where("id", "=", attack.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      attack = await trx
        .insertInto("attacks")
        .values({
          incident_id: incidentId,
          number,
          label_method: meta.method,
          confidence: meta.confidence ?? null,
          comment: meta.comment ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    await trx
      .updateTable("sessions")
      .set({ attack: null })
      .where("incident_id", "=", incidentId)
      .where("attack", "=", number)
      .execute();
    let labelled = 0;
    if ("sessionIds" in selection) {
      for (let i = 0; i < selection.sessionIds.length; i += 500) {
        const res = await trx
          .updateTable("sessions")
          .set({ attack: number })
          .where("incident_id", "=", incidentId)
          .where("id", "in", selection.sessionIds.slice(i, i + 500))
          .executeTakeFirst();
        labelled += Number(res.numUpdatedRows);
      }
    } else if (selection.clusters.length > 0 || selection.clusters2.length > 0) {
      const { clusters, clusters2 } = selection;
      const res = await trx
        .updateTable("sessions")
        .set({ attack: number })
        .where("incident_id", "=", incidentId)
        .where((eb) =>
          eb.or([
            ...(clusters.length ? [eb("cluster_index", "in", clusters)] : []),
            ...(clusters2.length ? [eb("cluster_index2", "in", clusters2)] : []),
          ]),
        )
        .executeTakeFirst();
      labelled = Number(res.numUpdatedRows);
    }
    return { attack, sessions: labelled };
  });
}

export async function listAttacks(
  store: Store,
  incidentId?: number,
): Promise<(Attack & { target: string; sessions: number })[]> {
  let q = store.db
    .selectFrom("attacks")
    .innerJoin("incidents", "incidents.id", "attacks.incident_id")
    .innerJoin("targets", "targets.id", "incidents.target_id")
    .selectAll("attacks")
    .select("targets.host as target")
    .select((eb) =>
      eb
        .selectFrom("sessions")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("sessions.incident_id", "=", "attacks.incident_id")
        .whereRef("sessions.attack", "=", "attacks.number")
        .as("sessions"),
    )
    .orderBy("attacks.id");
  if (incidentId !== undefined) q = q.where("attacks.incident_id", "=", incidentId);
  return (await q.execute()).map((r) => ({ ...r, sessions: Number(r.sessions ?? 0) }));
}

/** The keyed IP hashes of an attack's sessions (distinct). */
export async function attackIpHashes(store: Store, attack: Attack): Promise<Set<string>> {
  const rows = await store.db
    .selectFrom("sessions")
    .select("ip_hash")
    .distinct()
    .where("incident_id", "=", attack.incident_id)
    .where("attack", "=", attack.number)
    .execute();
  return new Set(rows.map((r) => r.ip_hash));
}

/** The attack with this number in the incident, or undefined. */
export async function findAttack(
  store: Store,
  incidentId: number,
  number: number,
): Promise<Attack | undefined> {
  return (await listAttacks(store, incidentId)).find((a) => a.number === number);
}

/** Feature values of an attack's sessions, one row per session (NaN where missing). */
export async function attackFeatureRows(
  store: Store,
  attack: Attack,
  features: SessionFeature[],
): Promise<number[][]> {
  const rows = await store.db
    .selectFrom("sessions")
    .select(features)
    .where("incident_id", "=", attack.incident_id)
    .where("attack", "=", attack.number)
    .execute();
  return rows.map((r) => features.map((f) => r[f] ?? Number.NaN));
}

export interface AttackSpan {
  incidentId: number;
  number: number;
  start: number;
  end: number;
  sessions: number;
  ips: number;
}

/** Time span, sessions and distinct IPs of every labelled attack (of one incident, or all). */
export async function attackSpans(store: Store, incidentId?: number): Promise<AttackSpan[]> {
  let q = store.db
    .selectFrom("sessions")
    .select((eb) => [
      "incident_id",
      "attack",
      eb.fn.min("start_time").as("start"),
      eb.fn.max("end_time").as("end"),
      eb.fn.countAll().as("sessions"),
      eb.fn.count("ip_hash").distinct().as("ips"),
    ])
    .where("attack", "is not", null)
    .groupBy(["incident_id", "attack"]);
  if (incidentId !== undefined) q = q.where("incident_id", "=", incidentId);
  return (await q.execute()).map((r) => ({
    incidentId: r.incident_id,
    number: Number(r.attack),
    start: Number(r.start),
    end: Number(r.end),
    sessions: Number(r.sessions),
    ips: Number(r.ips),
  }));
}
