import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import type { IpCipher } from "../privacy/ip-cipher.ts";
import { listKeys } from "../store/keys.ts";
import type { Store } from "../store/open.ts";
import { unlockKey } from "./keys.ts";

/**
 * Decrypts stored addresses for views that may show them (the server with --reveal-ips): one unlocked
 * cipher per key id, opened on first use. Without `enabled` every address stays null.
 */
export class Revealer {
  private readonly ciphers = new Map<number, Promise<IpCipher>>();

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    readonly enabled: boolean,
  ) {}

  /** The plain address of a stored token (null when not revealing or nothing stored). */
  async reveal(
    keyId: number | null,
    encrypted: string | null,
    plain: string | null = null,
  ): Promise<string | null> {
    if (!this.enabled) return null;
    if (plain) return plain;
    if (keyId == null || !encrypted) return null;
    let c = this.ciphers.get(keyId);
    if (!c) {
      c = unlockKey(this.store, this.config, keyId);
      this.ciphers.set(keyId, c);
      c.catch(() => this.ciphers.delete(keyId));
    }
    return (await c).decrypt(encrypted);
  }
}

/** A revealer that never reveals. */
export function noReveal(store: Store, config: Config): Revealer {
  return new Revealer(store, config, false);
}

/**
 * Fails early when IPs cannot be revealed: no passphrase, or one that opens none of the store's keys
 * (an empty store has nothing to reveal and passes).
 */
export async function assertCanReveal(store: Store, config: Config): Promise<void> {
  if (!config.privacy.passphrase)
    throw new UserError("--reveal-ips needs the passphrase: set BOTSCOPE_PASSPHRASE (or privacy.passphrase)");
  const keys = await listKeys(store);
  for (const k of keys) {
    try {
      await unlockKey(store, config, k.id);
      return;
    } catch {
      // try the next key
    }
  }
  if (keys.length > 0)
    throw new UserError(`--reveal-ips: the passphrase opens none of the ${keys.length} registered key(s)`);
}
