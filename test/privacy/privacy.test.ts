import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../../src/core/errors.ts";
import { IpCipher } from "../../src/privacy/ip-cipher.ts";
import { canonicalIp, IpHasher } from "../../src/privacy/ip-hash.ts";
import { deriveKey, keyFingerprint, newSalt } from "../../src/privacy/kdf.ts";

const FAST = { N: 1024, r: 8, p: 1 };

test("AES-256-GCM round trip, random IV per value, IPv4 and IPv6", () => {
  const cipher = new IpCipher(deriveKey("pass", newSalt(), FAST));
  for (const ip of ["203.0.113.9", "2001:db8::1", "::ffff:198.51.100.2"]) {
    const a = cipher.encrypt(ip);
    const b = cipher.encrypt(ip);
    assert.notEqual(a, b, "a fresh IV each time");
    assert.match(a, /^g1:[A-Za-z0-9+/=]+$/);
    // 12-byte IV + 16-byte tag + ciphertext
    assert.equal(Buffer.from(a.slice(3), "base64").length, 12 + 16 + canonicalIp(ip).length);
    assert.equal(cipher.decrypt(a), canonicalIp(ip));
  }
});

test("wrong key, tampered and truncated tokens are clear errors", () => {
  const salt = newSalt();
  const right = new IpCipher(deriveKey("right", salt, FAST));
  const wrong = new IpCipher(deriveKey("wrong", salt, FAST));
  const token = right.encrypt("192.0.2.1");
  assert.throws(
    () => wrong.decrypt(token),
    (e) => e instanceof UserError && /wrong key/.test(e.message),
  );
  const raw = Buffer.from(token.slice(3), "base64");
  raw[raw.length - 1] ^= 1;
  assert.throws(() => right.decrypt(`g1:${raw.toString("base64")}`), UserError);
  assert.throws(() => right.decrypt("g1:AAAA"), /truncated/);
  assert.throws(() => right.decrypt("plain text"), /not an encrypted/);
});

test("keyed hash is stable, canonical and depends on the passphrase", () => {
  const a = IpHasher.fromPassphrase("secret", FAST);
  const b = IpHasher.fromPassphrase("secret", FAST);
  const c = IpHasher.fromPassphrase("other", FAST);
  assert.equal(a.hash("198.51.100.4"), b.hash("198.51.100.4"));
  assert.equal(a.hash(" ::FFFF:198.51.100.4"), a.hash("198.51.100.4"));
  assert.notEqual(a.hash("198.51.100.4"), a.hash("198.51.100.5"));
  assert.notEqual(a.hash("198.51.100.4"), c.hash("198.51.100.4"));
  assert.match(a.hash("198.51.100.4"), /^[A-Za-z0-9_-]{22}$/);
  // pinned value: the hash must not change between releases, or stored hashes stop matching
  assert.equal(IpHasher.fromPassphrase("botscope-test", FAST).hash("192.0.2.1"), "TlbSu636bBOTqAIsEokMQZ");
});

test("key derivation is deterministic per salt and fingerprints differ per key", () => {
  const salt = newSalt();
  const k1 = deriveKey("p", salt, FAST);
  assert.deepEqual(k1, deriveKey("p", salt, FAST));
  assert.equal(k1.length, 32);
  assert.notEqual(keyFingerprint(k1), keyFingerprint(deriveKey("p", newSalt(), FAST)));
  assert.throws(() => deriveKey("", salt, FAST));
});
