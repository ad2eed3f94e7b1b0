import type { Rng } from "./random.ts";

/** Dotted IPv4 to an unsigned 32-bit integer; NaN when the text is not an IPv4 address. */
export function ipv4ToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) return Number.NaN;
  let v = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3) return Number.NaN;
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255) return Number.NaN;
    v = v * 256 + n;
  }
  return v;
}

export function intToIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

export interface Cidr {
  base: number;
  bits: number;
  text: string;
}

/** Parses an IPv4 CIDR ("10.0.0.0/8"); returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bitsText = "32"] = text.split("/");
  const ip = ipv4ToInt(addr);
  const bits = Number(bitsText);
  if (Number.isNaN(ip) || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits, text };
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  if (cidr.bits === 0) return true;
  const mask = (0xffffffff << (32 - cidr.bits)) >>> 0;
  return (ip & mask) >>> 0 === cidr.base;
}

export const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

const NOT_PUBLIC = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/3",
].map((c) => parseCidr(c)!);

export function isPublicIpv4(ip: number): boolean {
  return !NOT_PUBLIC.some((c) => cidrContains(c, ip));
}

/** A random routable public IPv4 address, optionally inside a prefix. */
export function randomPublicIpv4(rng: Rng, within?: Cidr): string {
  for (;;) {
    let v: number;
    if (within) {
      const size = 2 ** (32 - within.bits);
      v = (within.base + rng.int(size)) >>> 0;
    } else {
      v = rng.uint32();
    }
    const last = v & 255;
    if (last === 0 || last === 255) continue;
    if (within || isPublicIpv4(v)) return intToIpv4(v);
  }
}
