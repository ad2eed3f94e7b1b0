import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { UserError } from "../core/errors.ts";
import { canonicalIp } from "./ip-hash.ts";

const VERSION = "g1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM encryption of single IP addresses: a fresh random 96-bit IV per value and a 128-bit tag.
 * Token text: "g1:" + base64(iv | tag | ciphertext).
 */
export class IpCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("AES-256-GCM needs a 256-bit key");
    this.key = key;
  }

  encrypt(ip: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv, { authTagLength: TAG_BYTES });
    const body = Buffer.concat([cipher.update(canonicalIp(ip), "utf8"), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  /** Decrypts a token; a wrong key or a tampered token is a clear error, never garbage. */
  decrypt(token: string): string {
    if (!token.startsWith(`${VERSION}:`)) throw new UserError("not an encrypted IP token");
    const raw = Buffer.from(token.slice(VERSION.length + 1), "base64");
    if (raw.length <= IV_BYTES + TAG_BYTES) throw new UserError("encrypted IP token is truncated");
    const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      throw new UserError("cannot decrypt IP: wrong key or corrupted value");
    }
  }
}
