import { createHmac } from "node:crypto";
import { deriveKey, type ScryptParams } from "./kdf.ts";

/** Fixed salt: the hash key depends on the passphrase alone, so hashes compare across stores and years. */
const HASH_SALT = Buffer.from("botscope/ip-hash/v1");

/** Canonical text of an address, so "::ffff:1.2.3.4", " 1.2.3.4" and "1.2.3.4" hash alike. */
export function canonicalIp(ip: string): string {
  let s = ip.trim().toLowerCase();
  if (s.startsWith("::ffff:") && s.includes(".")) s = s.slice(7);
  return s;
}

/**
 * Keyed IP hash (HMAC-SHA-256, 128 bits kept): equal IPs get equal hashes under one passphrase, so IPs are
 * compared across incidents without decrypting, and nobody without the passphrase can test a guess.
 */
export class IpHasher {
  private readonly key: Buffer;
  private readonly cache = new Map<string, string>();

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error("IP hash key must be at least 256 bits");
    this.key = key;
  }

  static fromPassphrase(passphrase: string, params?: ScryptParams): IpHasher {
    return new IpHasher(deriveKey(passphrase, HASH_SALT, params));
  }

  hash(ip: string): string {
    const canonical = canonicalIp(ip);
    let h = this.cache.get(canonical);
    if (h === undefined) {
      h = createHmac("sha256", this.key).update(canonical).digest("base64url").slice(0, 22);
      if (this.cache.size > 1_000_000) this.cache.clear();
      this.cache.set(canonical, h);
    }
    return h;
  }
}
