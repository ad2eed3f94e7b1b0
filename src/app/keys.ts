import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import { IpCipher } from "../privacy/ip-cipher.ts";
import { IpHasher } from "../privacy/ip-hash.ts";
import { DEFAULT_SCRYPT, deriveKey, keyFingerprint, newSalt, type ScryptParams } from "../privacy/kdf.ts";
import { getKey, insertKey, listKeys } from "../store/keys.ts";
import type { Store } from "../store/open.ts";
import type { EncryptionKey } from "../store/schema.ts";

export interface UnlockedKey {
  key: EncryptionKey;
  cipher: IpCipher;
}

function requirePassphrase(config: Config): string {
  const p = config.privacy.passphrase;
  if (!p)
    throw new UserError("no passphrase: set BOTSCOPE_PASSPHRASE (or privacy.passphrase in botscope.yaml)");
  return p;
}

/**
 * The keyed IP hasher; its key comes from the hash passphrase, else the encryption passphrase. The KDF
 * parameters are fixed, not configurable: changing them would silently break every stored comparison.
 */
export function ipHasher(config: Config): IpHasher {
  const p = config.privacy.hashPassphrase ?? config.privacy.passphrase;
  if (!p) throw new UserError("no hash passphrase: set BOTSCOPE_HASH_PASSPHRASE or BOTSCOPE_PASSPHRASE");
  return IpHasher.fromPassphrase(p, DEFAULT_SCRYPT);
}

/** Registers a new key for the passphrase; the registry keeps only its salt, parameters and fingerprint. */
export async function addKey(store: Store, config: Config, comment?: string): Promise<EncryptionKey> {
  const passphrase = requirePassphrase(config);
  const params: ScryptParams = config.privacy.scrypt;
  const salt = newSalt();
  const key = deriveKey(passphrase, salt, params);
  return insertKey(store, {
    fingerprint: keyFingerprint(key),
    kdf: "scrypt",
    salt: salt.toString("base64"),
    params: JSON.stringify(params),
    comment: comment ?? null,
  });
}

function tryUnlock(record: EncryptionKey, passphrase: string): IpCipher | undefined {
  const key = deriveKey(
    passphrase,
    Buffer.from(record.salt, "base64"),
    JSON.parse(record.params) as ScryptParams,
  );
  return keyFingerprint(key) === record.fingerprint ? new IpCipher(key) : undefined;
}

/**
 * The key new findings are encrypted with: the newest registered key the passphrase opens. An empty
 * registry gets its first key here; a passphrase that opens none of several keys is an error, so a typo
 * never silently starts a second key.
 */
export async function currentKey(store: Store, config: Config): Promise<UnlockedKey> {
  const passphrase = requirePassphrase(config);
  const keys = await listKeys(store);
  if (keys.length === 0) {
    const key = await addKey(store, config, "first key, registered automatically");
    return { key, cipher: tryUnlock(key, passphrase)! };
  }
  for (const key of keys) {
    const cipher = tryUnlock(key, passphrase);
    if (cipher) return { key, cipher };
  }
  throw new UserError(
    `wrong passphrase: it opens none of the ${keys.length} registered key(s); ` +
      "use the right BOTSCOPE_PASSPHRASE, or register a new key with `botscope keys add`",
  );
}

/** The cipher of one given key (an incident's), or a clear error when the passphrase does not open it. */
export async function unlockKey(store: Store, config: Config, keyId: number): Promise<IpCipher> {
  const passphrase = requirePassphrase(config);
  const record = await getKey(store, keyId);
  if (!record) throw new UserError(`key ${keyId} is not in the registry`);
  const cipher = tryUnlock(record, passphrase);
  if (!cipher) throw new UserError(`wrong passphrase for key ${keyId} (fingerprint ${record.fingerprint})`);
  return cipher;
}
