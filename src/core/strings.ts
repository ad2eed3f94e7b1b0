/**
 * A flat copy of a string. Substrings of a large chunk keep the whole chunk alive in V8; anything kept
 * in long-lived state (session keys, user-agent tables) is copied once so memory follows the state, not
 * the input.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "latin1").toString("latin1");
}

/** 32-bit FNV-1a of a string's char codes, for distinct-counting without keeping the strings. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
