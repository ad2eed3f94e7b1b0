/**
 * Keyed-state helpers shared by the periodicity detectors: an open-addressing table from four int32 keys
 * to dense ids, address numbers, and per-pair chunked storage. Typed arrays only, no object per key.
 */
import { AddressIds, canonicalIpv4Range } from "../core/addresses.ts";

/** Open-addressing table: (a, b, c, d) int32 keys -> dense id 0, 1, 2, ... in first-seen order. */
export class KeyTable {
  /** Slots of 5 int32: the four keys and id + 1 (0: empty). */
  private slots = new Int32Array(5 << 10);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private static hash(a: number, b: number, c: number, d: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h = Math.imul(
      h ^ (h >>> 15) ^ Math.imul(c, 0xc2b2ae35) ^ Math.imul(d + 0x165667b1, 0x27d4eb2f),
      0x2c1b3c6d,
    );
    return h ^ (h >>> 16);
  }

  /** The id of (a, b, c, d), created when new (`created` tells which). */
  id(a: number, b: number, c: number, d: number): number {
    let slots = this.slots;
    let mask = slots.length / 5 - 1;
    let j = KeyTable.hash(a, b, c, d) & mask;
    for (;;) {
      const at = 5 * j;
      const v = slots[at + 4];
      if (v === 0) break;
      if (slots[at] === a && slots[at + 1] === b && slots[at + 2] === c && slots[at + 3] === d) {
        this.created = false;
        return v - 1;
      }
      j = (j + 1) & mask;
    }
    if ((this.count + 1) * 2 > mask + 1) {
      this.grow();
      slots = this.slots;
      mask = slots.length / 5 - 1;
      j = KeyTable.hash(a, b, c, d) & mask;
      while (slots[5 * j + 4] !== 0) j = (j + 1) & mask;
    }
    const at = 5 * j;
    slots[at] = a;
    slots[at + 1] = b;
    slots[at + 2] = c;
    slots[at + 3] = d;
    slots[at + 4] = ++this.count;
    this.created = true;
    return this.count - 1;
  }

  /** Whether the last id() call created its key. */
  created = false;

  /** The id of (a, b, c, d), or -1 when it was never given one. */
  find(a: number, b: number, c: number, d: number): number {
    const slots = this.slots;
    const mask = slots.length / 5 - 1;
    for (let j = KeyTable.hash(a, b, c, d) & mask; ; j = (j + 1) & mask) {
      const at = 5 * j;
      const v = slots[at + 4];
      if (v === 0) return -1;
      if (slots[at] === a && slots[at + 1] === b && slots[at + 2] === c && slots[at + 3] === d) return v - 1;
    }
  }

  /** Removes nothing: ids are dense and stable; callers mark dead entries themselves. */
  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length / 5 - 1;
    for (let i = 0; i < old.length; i += 5) {
      if (old[i + 4] === 0) continue;
      let j = KeyTable.hash(old[i], old[i + 1], old[i + 2], old[i + 3]) & mask;
      while (slots[5 * j + 4] !== 0) j = (j + 1) & mask;
      slots.set(old.subarray(i, i + 5), 5 * j);
    }
    this.slots = slots;
  }
}

/** Address numbers at or above this are 2^32 + an id in the address table (not canonical IPv4). */
export const NOT_V4 = 2 ** 32;

/**
 * Addresses as numbers: a canonical IPv4 address is its uint32 value (its text follows from it, no
 * table lookup), anything else 2^32 + its id in an AddressIds table.
 */
export class AddressNumbers {
  private readonly ids = new AddressIds();

  /** The number of the address text[start, end). */
  of(text: string, start = 0, end = text.length): number {
    const v4 = canonicalIpv4Range(text, start, end);
    return v4 >= 0 ? v4 : NOT_V4 + this.ids.idOf(text, start, end);
  }

  /** The text of an address number. */
  text(n: number): string {
    return n >= NOT_V4 ? this.ids.names[n - NOT_V4] : ipv4Text(n);
  }
}

/** Text of a uint32 IPv4 address. */
export function ipv4Text(v: number): string {
  return `${Math.floor(v / 16777216)}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * Per-pair storage in chunks of one pool: the chunk that starts with a pair's n-th item has a capacity
 * that follows from n alone, so a pair needs only its last chunk's offset and its count.
 */
/** Chunk k of a pair holds 2^(k+1) times up to 4096, then 4096 a chunk (sizes follow from the count). */
const MAX_CHUNK = 4096;
/** Times held by the growing chunks (2 + 4 + ... + 4096). */
const GROWING = 2 * MAX_CHUNK - 2;

/** Offset of the n-th time (0-based) of a pair within its chunk; 0 starts a new chunk. */
export function chunkOffset(n: number): number {
  if (n < GROWING) return n + 2 - (1 << (31 - Math.clz32(n + 2)));
  return (n - GROWING) % MAX_CHUNK;
}

/** Capacity of the chunk that starts with the n-th time. */
export function chunkCapacity(n: number): number {
  return n < GROWING ? n + 2 : MAX_CHUNK;
}
