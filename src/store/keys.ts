import type { Store } from "./open.ts";
import type { EncryptionKey } from "./schema.ts";

export async function insertKey(
  store: Store,
  key: { fingerprint: string; kdf: string; salt: string; params: string; comment?: string | null },
): Promise<EncryptionKey> {
  return store.db
    .insertInto("encryption_keys")
    .values({ ...key, comment: key.comment ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Newest first: the newest key that a passphrase opens is the one new incidents use. */
export async function listKeys(store: Store): Promise<EncryptionKey[]> {
  return store.db.selectFrom("encryption_keys").selectAll().orderBy("id", "desc").execute();
}

export async function getKey(store: Store, id: number): Promise<EncryptionKey | undefined> {
  return store.db.selectFrom("encryption_keys").selectAll().where("id", "=", id).executeTakeFirst();
}
