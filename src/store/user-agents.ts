import type { Store } from "./open.ts";

export interface UserAgentRow {
  ua_hash: string;
  ua: string;
  family: string | null;
  os: string | null;
  device: string | null;
  is_bot: number;
}

/** The id of a user agent, inserted on first sight (keyed by the hash of its text). */
export async function userAgentId(store: Store, row: UserAgentRow): Promise<number> {
  await store.db
    .insertInto("user_agents")
    .values(row)
    .onConflict((oc) => oc.column("ua_hash").doNothing())
    .execute();
  const found = await store.db
    .selectFrom("user_agents")
    .select("id")
    .where("ua_hash", "=", row.ua_hash)
    .executeTakeFirstOrThrow();
  return found.id;
}
