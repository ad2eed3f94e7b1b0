/**
 * A flat copy of a string. Substrings of a large chunk keep the whole chunk alive in V8; anything kept
 * in long-lived state (session keys, user-agent tables) is copied once so memory follows the state, not
 * the input.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, "latin1").toString("latin1");
}
