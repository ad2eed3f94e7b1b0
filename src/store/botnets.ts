import type { Selectable } from "kysely";
import type { Store } from "./open.ts";
import type { AttackBotnetTable, BotnetTable } from "./schema.ts";

export type Botnet = Selectable<BotnetTable>;
export type AttackBotnet = Selectable<AttackBotnetTable>;

export async function createBotnet(store: Store, name: string, comment?: string): Promise<Botnet> {
  return store.db
    .insertInto("botnets")
    .values({ name, comment: comment ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A botnet name not yet taken: botnet-1, botnet-2, ... */
export async function nextBotnetName(store: Store): Promise<string> {
  const names = new Set((await store.db.selectFrom("botnets").select("name").execute()).map((r) => r.name));
  for (let i = names.size + 1; ; i++) if (!names.has(`botnet-${i}`)) return `botnet-${i}`;
}

export async function findBotnet(store: Store, idOrName: string | number): Promise<Botnet | undefined> {
  const q = store.db.selectFrom("botnets").selectAll();
  return (
    typeof idOrName === "number" ? q.where("id", "=", idOrName) : q.where("name", "=", idOrName)
  ).executeTakeFirst();
}

/** Links an attack to a botnet (replacing an earlier decision for that attack). */
export async function linkAttack(
  store: Store,
  link: {
    attackId: number;
    botnetId: number;
    score: number | null;
    decision: AttackBotnet["decision"];
    evidence: unknown;
  },
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("attack_botnets").where("attack_id", "=", link.attackId).execute();
    await trx
      .insertInto("attack_botnets")
      .values({
        attack_id: link.attackId,
        botnet_id: link.botnetId,
        score: link.score,
        decision: link.decision,
        evidence: JSON.stringify(link.evidence),
      })
      .execute();
  });
}

export interface BotnetRow extends Botnet {
  attacks: number;
}

export async function listBotnets(store: Store): Promise<BotnetRow[]> {
  const rows = await store.db
    .selectFrom("botnets")
    .selectAll("botnets")
    .select((eb) =>
      eb
        .selectFrom("attack_botnets")
        .select(eb.fn.countAll<number>().as("n"))
        .whereRef("attack_botnets.botnet_id", "=", "botnets.id")
        .as("attacks"),
    )
    .orderBy("botnets.id")
    .execute();
  return rows.map((r) => ({ ...r, attacks: Number(r.attacks ?? 0) }));
}

/** The attacks linked to a botnet, with their incident and target. */
export async function botnetAttacks(store: Store, botnetId: number) {
  return store.db
    .selectFrom("attack_botnets")
    .innerJoin("attacks", "attacks.id", "attack_botnets.attack_id")
    .innerJoin("incidents", "incidents.id", "attacks.incident_id")
    .innerJoin("targets", "targets.id", "incidents.target_id")
    .select([
      "attacks.id as attackId",
      "attacks.number",
      "attacks.incident_id as incidentId",
      "targets.host as target",
      "incidents.start",
      "attack_botnets.score",
      "attack_botnets.decision",
      "attack_botnets.evidence",
    ])
    .where("attack_botnets.botnet_id", "=", botnetId)
    .orderBy("incidents.start")
    .execute();
}

export interface AttackBotnetLink {
  attackId: number;
  botnetId: number;
  name: string;
  decision: AttackBotnet["decision"];
  score: number | null;
}

/** The botnet each attack is linked to (attacks without a link are absent). */
export async function attackBotnetLinks(store: Store): Promise<Map<number, AttackBotnetLink>> {
  const rows = await store.db
    .selectFrom("attack_botnets")
    .innerJoin("botnets", "botnets.id", "attack_botnets.botnet_id")
    .select([
      "attack_botnets.attack_id as attackId",
      "botnets.id as botnetId",
      "botnets.name",
      "attack_botnets.decision",
      "attack_botnets.score",
    ])
    .execute();
  return new Map(rows.map((r) => [r.attackId, { ...r, score: r.score == null ? null : Number(r.score) }]));
}
