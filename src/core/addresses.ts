/**
 * Client and peer addresses as text: canonical IPv4 parsing, and dense ids for address texts (an
 * integer table for canonical IPv4, a Map for the rest), shared by the web and periodicity operators.
 */
import { detach } from "./strings.ts";

/** The uint32 of canonical dotted-quad text ("10.0.0.1", not "010.0.0.1"), else -1. */
export function canonicalIpv4(s: string): number {
  return canonicalIpv4Range(s, 0, s.length);
}

/** canonicalIpv4 of s[start, end). */
export function canonicalIpv4Range(s: string, start: number, end: number): number {
  const n = end - start;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || (digits === 1 && octet === 0)) return -1;
      octet = octet * 10 + d;
      if (octet > 255) return -1;
      digits++;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/**
 * Address text to id. Canonical dotted-quad IPv4 text (no leading zeros) goes through an integer table
 * (no string hashing, no substring: `idOf` reads the address where it stands in its line); anything
 * else, IPv6 and non-canonical spellings included, through a Map. Ids are given in first-seen order;
 * names are kept exactly as spelled (the original compares them as strings), as flat copies (a slice
 * would keep the whole chunk of input it came from alive).
 */
export class AddressIds {
  readonly names: string[] = [];
  private readonly byText = new Map<string, number>();
  /** Slots of 2 int32: uint32 address + 1 (0: empty), id. */
  private v4 = new Int32Array(2 << 12);
  private v4Count = 0;

  /** The id of an address given as a whole string. */
  id(text: string): number {
    return this.idOf(text, 0, text.length);
  }

  /** The id of the address text[start, end). */
  idOf(text: string, start: number, end: number): number {
    return this.idOfParsed(canonicalIpv4Range(text, start, end), text, start, end);
  }

  /** The same when the caller has parsed the text already: v4 = canonicalIpv4Range(text, start, end). */
  idOfParsed(v4: number, text: string, start: number, end: number): number {
    if (v4 < 0) {
      const name = detach(start === 0 && end === text.length ? text : text.slice(start, end));
      let id = this.byText.get(name);
      if (id === undefined) {
        id = this.names.length;
        this.byText.set(name, id);
        this.names.push(name);
      }
      return id;
    }
    const id = this.v4Id(v4);
    return id >= 0 ? id : this.addV4(v4, start === 0 && end === text.length ? text : text.slice(start, end));
  }

  /** The id of the IPv4 address v4 (a uint32), or -1 when it has none yet. */
  v4Id(v4: number): number {
    const key = (v4 + 1) | 0;
    const table = this.v4;
    const mask = table.length / 2 - 1;
    for (let j = hash32(key) & mask; ; j = (j + 1) & mask) {
      const k = table[2 * j];
      if (k === key) return table[2 * j + 1];
      if (k === 0) return -1;
    }
  }

  /** Gives the IPv4 address v4, spelled `name`, the next id (it must have none yet). */
  addV4(v4: number, name: string): number {
    const key = (v4 + 1) | 0;
    let table = this.v4;
    let mask = table.length / 2 - 1;
    let j = hash32(key) & mask;
    while (table[2 * j] !== 0) j = (j + 1) & mask;
    const id = this.names.length;
    this.names.push(detach(name));
    table[2 * j] = key;
    table[2 * j + 1] = id;
    if (++this.v4Count * 2 > mask + 1) {
      const old = table;
      table = this.v4 = new Int32Array(old.length * 2);
      mask = table.length / 2 - 1;
      for (let i = 0; i < old.length; i += 2) {
        if (old[i] === 0) continue;
        let t = hash32(old[i]) & mask;
        while (table[2 * t] !== 0) t = (t + 1) & mask;
        table[2 * t] = old[i];
        table[2 * t + 1] = old[i + 1];
      }
    }
    return id;
  }
}

function hash32(x: number): number {
  let h = Math.imul(x, 0x9e3779b1);
  h ^= h >>> 16;
  return Math.imul(h, 0x85ebca6b) ^ (h >>> 13);
}
