import { UsageError } from "../../core/errors.ts";
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
  readonly format: string;
  parse(line: string): ParseResult;
}

interface Step {
  /** Variable name (without $), or "" for a trailing literal check only. */
  name: string;
  /** Literal that must follow the variable ("" when the variable runs to the end of the line). */
  after: string;
  quoted: boolean;
}

// biome-ignore lint/suspicious/noConfusingVoidType: setters return a reason only when the value is bad
type Setter = (r: WebRequest, value: string) => BadLineReason | undefined | void;

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

function isIpLike(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let dots = 0;
  let colons = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return (dots === 3 && colons === 0) || colons >= 2;
}

function setRequestUri(r: WebRequest, uri: string): void {
  const q = uri.indexOf("?");
  if (q === -1) {
    r.path = uri;
    r.query = null;
  } else {
    r.path = uri.slice(0, q);
    r.query = uri.slice(q + 1);
  }
}

const SETTERS: Record<string, Setter> = {
  remote_addr(r, v) {
    if (!isIpLike(v)) return "bad-address";
    r.ip = v;
  },
  remote_user() {},
  time_local(r, v) {
    r.time = parseClfTime(v);
    if (Number.isNaN(r.time)) return "bad-time";
  },
  time_iso8601(r, v) {
    r.time = parseIsoTime(v);
    if (Number.isNaN(r.time)) return "bad-time";
  },
  msec(r, v) {
    r.time = Number(v);
    if (!(r.time > 0)) return "bad-time";
  },
  request(r, v) {
    // "GET /path?q HTTP/1.1"; anything else (e.g. a TLS handshake sent to port 80) is kept as the path
    const a = v.indexOf(" ");
    const b = v.lastIndexOf(" ");
    if (a > 0 && b > a && v.startsWith("HTTP/", b + 1)) {
      r.method = v.slice(0, a);
      setRequestUri(r, v.slice(a + 1, b));
      r.protocol = v.slice(b + 1);
    } else if (a > 0 && b === a && v.charCodeAt(a + 1) === 47) {
      r.method = v.slice(0, a); // HTTP/0.9 "GET /"
      setRequestUri(r, v.slice(a + 1));
      r.protocol = "";
    } else {
      r.method = "";
      setRequestUri(r, v);
      r.protocol = "";
    }
  },
  request_method(r, v) {
    r.method = v;
  },
  request_uri(r, v) {
    setRequestUri(r, v);
  },
  uri(r, v) {
    r.path = v;
  },
  args(r, v) {
    r.query = v === "" || v === "-" ? null : v;
  },
  server_protocol(r, v) {
    r.protocol = v;
  },
  status(r, v) {
    const s =
      v.length === 3 ? (v.charCodeAt(0) - 48) * 100 + (v.charCodeAt(1) - 48) * 10 + v.charCodeAt(2) - 48 : -1;
    if (!(s >= 100 && s <= 599)) return "bad-status";
    r.status = s;
  },
  body_bytes_sent(r, v) {
    r.bytes = v === "-" ? 0 : Number(v);
    if (!(r.bytes >= 0)) return "wrong-format";
  },
  http_referer(r, v) {
    r.referer = v === "-" || v === "" ? null : v;
  },
  http_user_agent(r, v) {
    r.userAgent = v === "-" ? "" : v;
  },
  host(r, v) {
    r.host = v === "-" || v === "" ? null : v.toLowerCase();
  },
  request_time(r, v) {
    const t = Number(v);
    r.requestTime = v === "-" || Number.isNaN(t) ? null : t;
  },
  http_x_forwarded_for(r, v) {
    r.forwardedFor = v === "-" || v === "" ? null : v;
  },
  sent_http_content_type(r, v) {
    r.contentType = v === "-" || v === "" ? null : v;
  },
};
SETTERS.query_string = SETTERS.args;
SETTERS.bytes_sent = SETTERS.body_bytes_sent;
SETTERS.http_host = SETTERS.host;
SETTERS.server_name = SETTERS.host;

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
function closingQuote(line: string, from: number): number {
  for (let i = line.indexOf('"', from); i !== -1; i = line.indexOf('"', i + 1)) {
    let backslashes = 0;
    for (let j = i - 1; j >= from && line.charCodeAt(j) === 92; j--) backslashes++;
    if ((backslashes & 1) === 0) return i;
  }
  return -1;
}

/** Compiles an nginx log_format string; throws a usage error for a format it cannot read. */
export function compileLogFormat(format: string): LineParser {
  const { lead, steps } = tokenize(format);
  const setters = steps.map((s) => (KNOWN.has(s.name) ? SETTERS[s.name] : undefined));
  const hasTime = steps.some(
    (s) => s.name === "time_local" || s.name === "time_iso8601" || s.name === "msec",
  );
  const hasAddr = steps.some((s) => s.name === "remote_addr");
  if (!hasTime || !hasAddr)
    throw new UsageError(
      `log format needs $remote_addr and a time ($time_local, $time_iso8601 or $msec): ${format}`,
    );
  const n = steps.length;
  return {
    format,
    parse(line: string): ParseResult {
      if (line.length === 0) return "empty";
      if (lead && !line.startsWith(lead)) return "wrong-format";
      const r = emptyRequest();
      let pos = lead.length;
      for (let i = 0; i < n; i++) {
        const step = steps[i];
        let end: number;
        if (step.quoted) end = closingQuote(line, pos);
        else if (step.after === "") end = line.length;
        else end = line.indexOf(step.after.charAt(0), pos);
        if (end === -1) return "truncated";
        if (step.after !== "" && !line.startsWith(step.after, end)) {
          return end + step.after.length > line.length ? "truncated" : "wrong-format";
        }
        const set = setters[i];
        if (set !== undefined) {
          const bad = set(r, line.slice(pos, end));
          if (bad) return bad;
        }
        pos = end + step.after.length;
      }
      return r;
    },
  };
}
