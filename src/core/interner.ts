import { detach } from "./strings.ts";

/**
 * Strings interned straight from a range of a larger text (a log chunk): each distinct string gets a
 * small dense id and is kept once, as a flat copy. Looking up a range hashes and compares it in place,
 * so a repeated value (an IP, a user agent) costs no allocation. Open addressing on typed arrays.
 */
export class Interner {
  readonly strings: string[] = [];
  private hashes: Int32Array = new Int32Array(0);
  /** Slot -> id + 1 (0 = empty). */
  private slots = new Int32Array(1024);
  private mask = 1023;

  get size(): number {
    return this.strings.length;
  }

  /** Id of text[start, end), interned on first sight. */
  idOf(text: string, start: number, end: number): number {
    let h = 0x811c9dc5 ^ (end - start);
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    const len = end - start;
    const strings = this.strings;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const v = this.slots[slot];
      if (v === 0) return this.insert(text.slice(start, end), h, slot);
      const id = v - 1;
      if (this.hashes[id] === h) {
        const s = strings[id];
        // a slice and === compare with memcmp; startsWith goes char by char (4-6x slower)
        if (s.length === len && text.slice(start, end) === s) return id;
      }
    }
  }

  /** Id of a whole string. */
  id(s: string): number {
    return this.idOf(s, 0, s.length);
  }

  private insert(value: string, h: number, slot: number): number {
    const id = this.strings.length;
    this.strings.push(detach(value));
    if (id === this.hashes.length) {
      const grown = new Int32Array(Math.max(256, id * 2));
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[id] = h;
    this.slots[slot] = id + 1;
    if ((id + 1) * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.strings.length; id++) {
      let slot = this.hashes[id] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Ids for 32-bit integer keys (IPv4 addresses), open addressing on typed arrays: no boxing, no hashing of text. */
export class IntIds {
  private keys = new Int32Array(1024);
  /** id + 1 (0 = empty). */
  private ids = new Int32Array(1024);
  private mask = 1023;
  /** Fibonacci hashing: the top bits of key * 2^32/phi pick the slot. */
  private shift = 22;
  private count = 0;

  /** The id stored for `key`, or -1. */
  get(key: number): number {
    for (let slot = Math.imul(key, 0x9e3779b1) >>> this.shift; ; slot = (slot + 1) & this.mask) {
      const v = this.ids[slot];
      if (v === 0) return -1;
      if (this.keys[slot] === key) return v - 1;
    }
  }

  set(key: number, id: number): void {
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    while (this.ids[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
    if (this.ids[slot] === 0) this.count++;
    this.keys[slot] = key;
    this.ids[slot] = id + 1;
    if (this.count * 2 > this.ids.length) this.grow();
  }

  private grow(): void {
    const keys = this.keys;
    const ids = this.ids;
    this.keys = new Int32Array(keys.length * 2);
    this.ids = new Int32Array(ids.length * 2);
    this.mask = this.ids.length - 1;
    this.shift--;
    this.count = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== 0) this.set(keys[i], ids[i] - 1);
  }
}
