import { UsageError } from "../../core/errors.ts";
import type { BadLineReason } from "../bad-lines.ts";
import { emptyRequest, type LineParser, type ParseResult, resetRequest } from "./log-format.ts";
import type { WebRequest } from "./record.ts";
import { parseAnyTime } from "./time.ts";

/**
 * JSON-lines access logs. A field mapping names, for each request field, the JSON keys to try in order
 * (dotted paths reach into objects). The default mapping reads Deflect's Elasticsearch documents
 * (bare or wrapped in `_source`) and the common nginx/Caddy/Traefik JSON field names.
 */
export type JsonField =
  | "time"
  | "ip"
  | "host"
  | "method"
  | "url"
  | "query"
  | "request"
  | "protocol"
  | "status"
  | "bytes"
  | "referer"
  | "userAgent"
  | "contentType"
  | "requestTime"
  | "forwardedFor";

export type JsonFieldMapping = Partial<Record<JsonField, string[]>>;

export const DEFAULT_JSON_MAPPING: Required<JsonFieldMapping> = {
  time: ["@timestamp", "timestamp", "time", "time_iso8601", "time_local", "ts", "msec"],
  ip: ["client_ip", "remote_addr", "clientip", "client.ip", "ip", "request.remote_ip", "ClientHost"],
  host: ["client_request_host", "host", "http_host", "server_name", "request.host", "RequestHost"],
  method: ["client_request_method", "request_method", "method", "request.method", "RequestMethod"],
  url: ["client_url", "request_uri", "uri", "url", "request.uri", "RequestPath", "path"],
  query: ["querystring", "query_string", "args", "query"],
  request: ["request"],
  protocol: ["http_request_version", "server_protocol", "protocol", "request.proto", "RequestProtocol"],
  status: ["http_response_code", "status", "status_code", "response", "DownstreamStatus"],
  bytes: ["reply_length_bytes", "body_bytes_sent", "bytes_sent", "bytes", "size", "DownstreamContentSize"],
  referer: ["http_referer", "referer", "referrer", "client_referer"],
  userAgent: ["client_ua", "http_user_agent", "user_agent", "agent", "request.headers.User-Agent"],
  contentType: ["content_type", "sent_http_content_type", "resp_headers.Content-Type"],
  requestTime: ["request_time", "duration", "ts_process_time_s"],
  forwardedFor: ["http_x_forwarded_for", "x_forwarded_for", "forwarded_for"],
};

/** Parses "time=ts,ip=client.addr" into a mapping that overrides the defaults for the named fields. */
export function parseJsonMapping(text: string): JsonFieldMapping {
  const mapping: JsonFieldMapping = {};
  for (const part of text.split(",").filter(Boolean)) {
    const [field, key] = part.split("=").map((s) => s.trim());
    if (!key || !Object.hasOwn(DEFAULT_JSON_MAPPING, field))
      throw new UsageError(
        `--json-fields: "${part}": expected field=key with field one of ${Object.keys(DEFAULT_JSON_MAPPING).join(", ")}`,
      );
    mapping[field as JsonField] = [...(mapping[field as JsonField] ?? []), key];
  }
  return mapping;
}

function get(doc: Record<string, unknown>, path: string): unknown {
  if (path in doc) return doc[path];
  if (!path.includes(".")) return undefined;
  let v: unknown = doc;
  for (const p of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

function first(doc: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) {
    const v = get(doc, k);
    if (v !== undefined && v !== null && v !== "" && v !== "-") return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function text(v: unknown): string | null {
  return v === undefined ? null : typeof v === "string" ? v : String(v);
}

export type DocumentParser = (doc: Record<string, unknown>, into?: WebRequest) => WebRequest | BadLineReason;

export function jsonLineParser(overrides: JsonFieldMapping = {}): LineParser {
  const fromDocument = documentParser(overrides);
  const parse = (line: string, into?: WebRequest): ParseResult => {
    if (line.length === 0) return "empty";
    if (line.charCodeAt(0) !== 123) return "wrong-format";
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line);
    } catch {
      return line.trimEnd().endsWith("}") ? "bad-json" : "truncated";
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return "bad-json";
    if (doc._source && typeof doc._source === "object") doc = doc._source as Record<string, unknown>;
    return fromDocument(doc, into);
  };
  return {
    name: "json",
    format: "json lines",
    parse,
    parseRange: (text, start, stop, into) => parse(text.slice(start, stop), into),
  };
}

/** Reads one JSON document (an ES hit's _source, a JSON log line) with the field mapping. */
export function documentParser(overrides: JsonFieldMapping = {}): DocumentParser {
  const m = { ...DEFAULT_JSON_MAPPING };
  for (const [k, v] of Object.entries(overrides)) m[k as JsonField] = v;
  return (doc, into) => {
    const r = into ? resetRequest(into) : emptyRequest();
    const ip = text(first(doc, m.ip));
    if (!ip) return "bad-address";
    r.ip = ip.trim();
    const t = first(doc, m.time);
    r.time = typeof t === "number" ? (t > 1e11 ? t / 1000 : t) : parseAnyTime(String(t ?? ""));
    if (Number.isNaN(r.time)) return "bad-time";
    const request = text(first(doc, m.request));
    const url = text(first(doc, m.url));
    if (url !== null) {
      const q = url.indexOf("?");
      r.path = q === -1 ? url : url.slice(0, q);
      r.query = q === -1 ? null : url.slice(q + 1);
      r.method = text(first(doc, m.method)) ?? "GET";
      r.protocol = text(first(doc, m.protocol)) ?? "";
    } else if (request !== null) {
      const parts = request.split(" ");
      r.method = parts.length >= 2 ? parts[0] : "";
      const uri = parts.length >= 2 ? parts[1] : request;
      const q = uri.indexOf("?");
      r.path = q === -1 ? uri : uri.slice(0, q);
      r.query = q === -1 ? null : uri.slice(q + 1);
      r.protocol = parts[2] ?? "";
    } else {
      return "wrong-format";
    }
    const query = text(first(doc, m.query));
    if (query !== null && r.query === null) r.query = query.startsWith("?") ? query.slice(1) : query;
    const status = Number(first(doc, m.status));
    if (!(status >= 100 && status <= 599)) return "bad-status";
    r.status = Math.trunc(status);
    r.bytes = Number(first(doc, m.bytes) ?? 0) || 0;
    r.host = text(first(doc, m.host))?.toLowerCase() ?? null;
    r.referer = text(first(doc, m.referer));
    r.userAgent = text(first(doc, m.userAgent)) ?? "";
    r.contentType = text(first(doc, m.contentType));
    const rt = Number(first(doc, m.requestTime));
    r.requestTime = Number.isFinite(rt) ? rt : null;
    r.forwardedFor = text(first(doc, m.forwardedFor));
    return r;
  };
}
