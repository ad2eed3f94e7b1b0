import { createHash, randomBytes, scryptSync } from "node:crypto";

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 1 };

/** A 256-bit key from a passphrase with scrypt (memory-hard, unlike the original's bare SHA-256). */
export function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams = DEFAULT_SCRYPT): Buffer {
  if (!passphrase) throw new Error("empty passphrase");
  return scryptSync(passphrase.normalize("NFC"), salt, 32, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  });
}

export function newSalt(): Buffer {
  return randomBytes(16);
}

/**
 * Public identifier of a key: a hash of the key under a domain label, so the registry can tell which key
 * encrypted an incident and whether a passphrase is right, without holding anything that decrypts.
 */
export function keyFingerprint(key: Buffer): string {
  return createHash("sha256").update("botscope/key-fingerprint/v1\0").update(key).digest("hex").slice(0, 32);
}
