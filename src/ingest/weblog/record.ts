/**
 * One web request as every weblog reader produces it. Strings are latin1-decoded bytes (what the log
 * holds, byte for byte); `utf8Text` turns one into readable text for display and storage.
 */
export interface WebRequest {
  /** Epoch seconds, sub-second where the format has it. */
  time: number;
  ip: string;
  /** Virtual host or site, when the log says it. */
  host: string | null;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query string without "?", or null. */
  query: string | null;
  protocol: string;
  status: number;
  /** Response body bytes (0 for "-"). */
  bytes: number;
  referer: string | null;
  userAgent: string;
  /** Response content type, when the log has it (Deflect/ES). */
  contentType: string | null;
  /** Request duration in seconds, when the log has it. */
  requestTime: number | null;
  forwardedFor: string | null;
}

/** Bytes that were read as latin1 back into UTF-8 text (no-op for ASCII). */
export function utf8Text(s: string): string {
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(s, "latin1").toString("utf8") : s;
}
