import { UsageError } from "../../core/errors.ts";
import {
  hashRange,
  methodOf,
  type RequestFacts,
  type RequestTables,
  resetFacts,
  setPath,
  setRequestTarget,
} from "../../web/request-facts.ts";
import { typeFromContentType } from "../../web/request-type.ts";
import type { BadLineReason } from "../bad-lines.ts";
import type { WebRequest } from "./record.ts";
import { parseClfTime, parseIsoTime } from "./time.ts";

/**
 * nginx `log_format` strings compiled into line parsers. A format is a list of literals and variables;
 * a variable ends where the next literal begins (for a quoted variable: at the next unescaped quote).
 * Unknown variables are matched and ignored, so any format a site uses can be read.
 */

export const COMBINED =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';
export const COMMON = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent';
/** nginx/Apache vhost_combined: the site first. */
export const VHOST_COMBINED = `$host ${COMBINED}`;

export type ParseResult = WebRequest | BadLineReason;

export interface LineParser {
  /** Short name: combined, common, vhost_combined, json, or log_format for a custom string. */
  readonly name: string;
  readonly format: string;
  /**
   * Parses one line into `into` (reset first) or a new record. Passing a scratch record saves an
   * allocation per line for consumers that copy what they keep.
   */
  parse(line: string, into?: WebRequest): ParseResult;
  /** The same on the line text[start, stop) of a larger string, without slicing it out. */
  parseRange(text: string, start: number, stop: number, into?: WebRequest): ParseResult;
  /**
   * What sessions need of the line text[start, stop), read into `into` without making a string
   * (strings become ids in `tables`); absent for formats that have only `parseRange`.
   */
  factsRange?(
    text: string,
    start: number,
    stop: number,
    into: RequestFacts,
    tables: RequestTables,
  ): RequestFacts | BadLineReason;
}

interface Step {
  /** Variable name (without $), or "" for a trailing literal check only. */
  name: string;
  /** Literal that must follow the variable ("" when the variable runs to the end of the line). */
  after: string;
  quoted: boolean;
}

/** Reads the value line[s, e) into the record; returns a reason when the value is bad. */
type Setter<R> = (
  r: R,
  line: string,
  s: number,
  e: number,
  tables: RequestTables,
  // biome-ignore lint/suspicious/noConfusingVoidType: setters return a reason only when the value is bad
) => BadLineReason | undefined | void;

const KNOWN = new Set([
  "remote_addr",
  "remote_user",
  "time_local",
  "time_iso8601",
  "msec",
  "request",
  "request_method",
  "request_uri",
  "uri",
  "args",
  "query_string",
  "server_protocol",
  "status",
  "body_bytes_sent",
  "bytes_sent",
  "http_referer",
  "http_user_agent",
  "host",
  "http_host",
  "server_name",
  "request_time",
  "http_x_forwarded_for",
  "sent_http_content_type",
]);

/** Splits a format into its leading literal and variable steps. */
function tokenize(format: string): { lead: string; steps: Step[] } {
  const re = /\$\{?([A-Za-z0-9_]+)\}?/g;
  const parts: { name: string; start: number; end: number }[] = [];
  for (let m = re.exec(format); m; m = re.exec(format))
    parts.push({ name: m[1], start: m.index, end: re.lastIndex });
  if (parts.length === 0) throw new UsageError(`log format has no $variables: ${format}`);
  const lead = format.slice(0, parts[0].start);
  const steps: Step[] = parts.map((p, i) => {
    const after = format.slice(p.end, i + 1 < parts.length ? parts[i + 1].start : format.length);
    const before = i === 0 ? lead : format.slice(parts[i - 1].end, p.start);
    if (after === "" && i + 1 < parts.length)
      throw new UsageError(`log format: $${p.name} and $${parts[i + 1].name} have nothing between them`);
    return { name: p.name, after, quoted: before.endsWith('"') && after.startsWith('"') };
  });
  return { lead, steps };
}

function isIpLike(line: string, s: number, e: number): boolean {
  if (e - s < 2 || e - s > 45) return false;
  let dots = 0;
  let colons = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return (dots === 3 && colons === 0) || colons >= 2;
}

/** Non-negative integer in line[s, e), or NaN. */
function integer(line: string, s: number, e: number): number {
  if (e <= s || e - s > 15) return Number.NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

function isDash(line: string, s: number, e: number): boolean {
  return e === s || (e === s + 1 && line.charCodeAt(s) === 45);
}

/** Frequent methods and protocols as shared constants: no new string per line. */
function token(line: string, s: number, e: number, common: readonly string[]): string {
  for (const c of common) if (c.length === e - s && line.startsWith(c, s)) return c;
  return line.slice(s, e);
}
const METHODS = ["GET", "POST", "HEAD", "PUT", "OPTIONS", "DELETE", "PATCH"] as const;
const PROTOCOLS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/2", "HTTP/3"] as const;

function setRequestUri(r: WebRequest, line: string, s: number, e: number): void {
  // a bounded scan: indexOf would run on through the chunk when the path has no '?'
  let q = s;
  while (q < e && line.charCodeAt(q) !== 63) q++;
  if (q === e) {
    r.path = line.slice(s, e);
    r.query = null;
  } else {
    r.path = line.slice(s, q);
    r.query = line.slice(q + 1, e);
  }
}

/**
 * Splits a request line "GET /path?q HTTP/1.1" at line[s, e) into method, target and protocol ranges,
 * written to REQUEST_PARTS (method end, target start, target end, protocol start; -1 when absent).
 * Anything else (e.g. a TLS handshake sent to port 80) is all target; HTTP/0.9 "GET /" has no protocol.
 */
const REQUEST_PARTS = new Int32Array(4);
/** "HTTP/" at line[i] (char codes: startsWith is a slow call for five characters). */
function isHttpAt(line: string, i: number): boolean {
  return (
    line.charCodeAt(i) === 72 &&
    line.charCodeAt(i + 1) === 84 &&
    line.charCodeAt(i + 2) === 84 &&
    line.charCodeAt(i + 3) === 80 &&
    line.charCodeAt(i + 4) === 47
  );
}
function splitRequest(line: string, s: number, e: number): Int32Array {
  const p = REQUEST_PARTS;
  const a = line.indexOf(" ", s);
  const b = line.lastIndexOf(" ", e - 1);
  if (a > s && a < e && b > a && isHttpAt(line, b + 1)) {
    p[0] = a;
    p[1] = a + 1;
    p[2] = b;
    p[3] = b + 1;
  } else if (a > s && a < e && b === a && line.charCodeAt(a + 1) === 47) {
    p[0] = a;
    p[1] = a + 1;
    p[2] = e;
    p[3] = -1;
  } else {
    p[0] = -1;
    p[1] = s;
    p[2] = e;
    p[3] = -1;
  }
  return p;
}

/** Setters both record kinds share: times and the status. */
const timeLocal: Setter<{ time: number }> = (r, line, s, e) => {
  r.time = parseClfTime(line, s, e);
  if (Number.isNaN(r.time)) return "bad-time";
};
const timeIso: Setter<{ time: number }> = (r, line, s, e) => {
  r.time = parseIsoTime(line.slice(s, e));
  if (Number.isNaN(r.time)) return "bad-time";
};
const msec: Setter<{ time: number }> = (r, line, s, e) => {
  r.time = Number(line.slice(s, e));
  if (!(r.time > 0)) return "bad-time";
};
const status: Setter<{ status: number }> = (r, line, s, e) => {
  const v = e - s === 3 ? integer(line, s, e) : -1;
  if (!(v >= 100 && v <= 599)) return "bad-status";
  r.status = v;
};

const SETTERS: Record<string, Setter<WebRequest>> = {
  remote_addr(r, line, s, e) {
    if (!isIpLike(line, s, e)) return "bad-address";
    r.ip = line.slice(s, e);
  },
  remote_user() {},
  time_local: timeLocal,
  time_iso8601: timeIso,
  msec,
  request(r, line, s, e) {
    const p = splitRequest(line, s, e);
    r.method = p[0] < 0 ? "" : token(line, s, p[0], METHODS);
    setRequestUri(r, line, p[1], p[2]);
    r.protocol = p[3] < 0 ? "" : token(line, p[3], e, PROTOCOLS);
  },
  request_method(r, line, s, e) {
    r.method = token(line, s, e, METHODS);
  },
  request_uri(r, line, s, e) {
    setRequestUri(r, line, s, e);
  },
  uri(r, line, s, e) {
    r.path = line.slice(s, e);
  },
  args(r, line, s, e) {
    r.query = isDash(line, s, e) ? null : line.slice(s, e);
  },
  server_protocol(r, line, s, e) {
    r.protocol = token(line, s, e, PROTOCOLS);
  },
  status,
  body_bytes_sent(r, line, s, e) {
    r.bytes = isDash(line, s, e) ? 0 : integer(line, s, e);
    if (!(r.bytes >= 0)) return "wrong-format";
  },
  http_referer(r, line, s, e) {
    r.referer = isDash(line, s, e) ? null : line.slice(s, e);
  },
  http_user_agent(r, line, s, e) {
    r.userAgent = isDash(line, s, e) ? "" : line.slice(s, e);
  },
  host(r, line, s, e) {
    r.host = isDash(line, s, e) ? null : line.slice(s, e).toLowerCase();
  },
  request_time(r, line, s, e) {
    const t = Number(line.slice(s, e));
    r.requestTime = isDash(line, s, e) || Number.isNaN(t) ? null : t;
  },
  http_x_forwarded_for(r, line, s, e) {
    r.forwardedFor = isDash(line, s, e) ? null : line.slice(s, e);
  },
  sent_http_content_type(r, line, s, e) {
    r.contentType = isDash(line, s, e) ? null : line.slice(s, e);
  },
};
SETTERS.query_string = SETTERS.args;
SETTERS.bytes_sent = SETTERS.body_bytes_sent;
SETTERS.http_host = SETTERS.host;
SETTERS.server_name = SETTERS.host;

/** The same variables read into RequestFacts; variables sessions do not use have none and are skipped. */
const FACT_SETTERS: Record<string, Setter<RequestFacts>> = {
  remote_addr(f, line, s, e, tables) {
    f.ip = tables.ipOf(line, s, e, isIpLike);
    if (f.ip === -1) return "bad-address";
  },
  time_local: timeLocal,
  time_iso8601: timeIso,
  msec,
  request(f, line, s, e) {
    const p = splitRequest(line, s, e);
    f.method = p[0] < 0 ? 0 : methodOf(line, s, p[0]);
    setRequestTarget(f, line, p[1], p[2]);
  },
  request_method(f, line, s, e) {
    f.method = methodOf(line, s, e);
  },
  request_uri(f, line, s, e) {
    setRequestTarget(f, line, s, e);
  },
  uri(f, line, s, e) {
    setPath(f, line, s, e);
  },
  args(f, line, s, e) {
    f.queryHash = isDash(line, s, e) ? -1 : hashRange(line, s, e);
  },
  status,
  body_bytes_sent(f, line, s, e) {
    f.bytes = isDash(line, s, e) ? 0 : integer(line, s, e);
    if (!(f.bytes >= 0)) return "wrong-format";
  },
  http_user_agent(f, line, s, e, tables) {
    f.userAgent = isDash(line, s, e)
      ? tables.userAgentOf(f.ip, "", 0, 0)
      : tables.userAgentOf(f.ip, line, s, e);
  },
  host(f, line, s, e, tables) {
    f.host = isDash(line, s, e) ? -1 : tables.hostOf(line, s, e);
  },
  sent_http_content_type(f, line, s, e, tables) {
    f.contentType = isDash(line, s, e) ? -1 : typeFromContentType(line.slice(s, e), tables.compat);
  },
};
FACT_SETTERS.query_string = FACT_SETTERS.args;
FACT_SETTERS.bytes_sent = FACT_SETTERS.body_bytes_sent;
FACT_SETTERS.http_host = FACT_SETTERS.host;
FACT_SETTERS.server_name = FACT_SETTERS.host;

/** Clears a reused record to the state of a fresh one. */
export function resetRequest(r: WebRequest): WebRequest {
  r.time = Number.NaN;
  r.ip = "";
  r.host = null;
  r.method = "";
  r.path = "";
  r.query = null;
  r.protocol = "";
  r.status = 0;
  r.bytes = 0;
  r.referer = null;
  r.userAgent = "";
  r.contentType = null;
  r.requestTime = null;
  r.forwardedFor = null;
  return r;
}

export function emptyRequest(): WebRequest {
  return {
    time: Number.NaN,
    ip: "",
    host: null,
    method: "",
    path: "",
    query: null,
    protocol: "",
    status: 0,
    bytes: 0,
    referer: null,
    userAgent: "",
    contentType: null,
    requestTime: null,
    forwardedFor: null,
  };
}

/** End of a quoted value starting at `from`: the next '"' not escaped by a backslash, or -1. */
function closingQuote(text: string, from: number, stop: number): number {
  for (let i = text.indexOf('"', from); i !== -1 && i < stop; i = text.indexOf('"', i + 1)) {
    let backslashes = 0;
    for (let j = i - 1; j >= from && text.charCodeAt(j) === 92; j--) backslashes++;
    if ((backslashes & 1) === 0) return i;
  }
  return -1;
}

/** Compiles an nginx log_format string; throws a usage error for a format it cannot read. */
export function compileLogFormat(format: string, name = "log_format"): LineParser {
  const { lead, steps } = tokenize(format);
  const hasTime = steps.some(
    (s) => s.name === "time_local" || s.name === "time_iso8601" || s.name === "msec",
  );
  const hasAddr = steps.some((s) => s.name === "remote_addr");
  if (!hasTime || !hasAddr)
    throw new UsageError(
      `log format needs $remote_addr and a time ($time_local, $time_iso8601 or $msec): ${format}`,
    );
  const parseRange = generateParser<WebRequest>(
    lead,
    steps,
    steps.map((s) => (KNOWN.has(s.name) ? SETTERS[s.name] : undefined)),
    (into) => (into ? resetRequest(into) : emptyRequest()),
  );
  const factsRange = generateParser<RequestFacts>(
    lead,
    steps,
    steps.map((s) => (KNOWN.has(s.name) ? FACT_SETTERS[s.name] : undefined)),
    (into) => resetFacts(into!),
  );
  return {
    name,
    format,
    parseRange,
    parse: (line, into) => parseRange(line, 0, line.length, into),
    factsRange,
  };
}

type RangeParser<R> = (
  text: string,
  start: number,
  stop: number,
  into: R | undefined,
  tables?: RequestTables,
) => R | BadLineReason;

/**
 * Straight-line code for one format and record kind, built with `new Function`: each step's literal is
 * inlined and each setter is called from its own call site, which V8 can inline (a loop over a setter
 * table would make one megamorphic call site). Values without a setter are only delimited. Only lengths,
 * JSON-quoted literals and fixed helper names go into the source; the format's text never becomes code.
 */
function generateParser<R>(
  lead: string,
  steps: Step[],
  setters: (Setter<R> | undefined)[],
  record: (into: R | undefined) => R,
): RangeParser<R> {
  const q = (v: string) => JSON.stringify(v);
  // short literals as char-code comparisons: startsWith is a slow builtin call for a few characters
  const literalAt = (v: string, at: string) =>
    v.length > 8
      ? `text.startsWith(${q(v)}, ${at})`
      : [...v].map((c, k) => `text.charCodeAt(${at} + ${k}) === ${c.charCodeAt(0)}`).join(" && ");
  const body: string[] = [
    'if (stop === start) return "empty";',
    lead ? `if (start + ${lead.length} > stop || !(${literalAt(lead, "start")})) return "wrong-format";` : "",
    "const r = record(into);",
    `let pos = start + ${lead.length};`,
    "let end = 0;",
    "let bad;",
  ];
  steps.forEach((step, i) => {
    if (step.quoted) body.push("end = closingQuote(text, pos, stop);");
    else if (step.after === "") body.push("end = stop;");
    else body.push(`end = text.indexOf(${q(step.after.charAt(0))}, pos);`, "if (end >= stop) end = -1;");
    body.push('if (end === -1) return "truncated";');
    const n = step.after.length;
    if (n > 1) {
      body.push(
        `if (end + ${n} > stop) return "truncated";`,
        `if (!(${literalAt(step.after, "end")})) return "wrong-format";`,
      );
    }
    if (setters[i]) body.push(`bad = set${i}(r, text, pos, end, tables);`, "if (bad) return bad;");
    body.push(`pos = end + ${n};`);
  });
  body.push("return r;");
  const names = steps.map((_, i) => `set${i}`);
  const make = new Function(
    "closingQuote",
    "record",
    ...names,
    `return function parseRange(text, start, stop, into, tables) {\n${body.join("\n")}\n};`,
  );
  return make(closingQuote, record, ...setters) as RangeParser<R>;
}
