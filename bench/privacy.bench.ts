/** Privacy: keyed IP hashing and AES-256-GCM encryption per IP, against a bare SHA-256 of the IP. */
import { createHash } from "node:crypto";
import { IpCipher } from "../src/privacy/ip-cipher.ts";
import { IpHasher } from "../src/privacy/ip-hash.ts";
import { deriveKey, newSalt } from "../src/privacy/kdf.ts";
import type { Figure } from "./run.ts";

const N = 200_000;

export async function run(): Promise<Figure[]> {
  const ips = Array.from({ length: N }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  let t = performance.now();
  let sink = 0;
  for (const ip of ips) sink += createHash("sha256").update(ip).digest("hex").length;
  const reference = N / ((performance.now() - t) / 1000);

  const hasher = new IpHasher(deriveKey("bench", newSalt(), { N: 1024, r: 8, p: 1 }));
  t = performance.now();
  for (const ip of ips) sink += hasher.hash(ip).length;
  const hashRate = N / ((performance.now() - t) / 1000);

  const cipher = new IpCipher(deriveKey("bench", newSalt(), { N: 1024, r: 8, p: 1 }));
  t = performance.now();
  for (const ip of ips) sink += cipher.encrypt(ip).length;
  const encRate = N / ((performance.now() - t) / 1000);
  if (sink === 0) throw new Error("unreachable");
  const ref = { name: "bare sha256(ip)", value: reference };
  return [
    {
      name: "keyed IP hash (HMAC-SHA-256), distinct IPs",
      value: hashRate,
      unit: "IPs/s",
      reference: ref,
      better: "higher",
    },
    { name: "AES-256-GCM IP encryption", value: encRate, unit: "IPs/s", reference: ref, better: "higher" },
  ];
}
