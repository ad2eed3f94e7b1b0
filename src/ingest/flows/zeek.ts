/**
 * Zeek conn.log, as TSV (the `#separator`/`#fields` header of Zeek's ASCII writer) and as JSON lines
 * (LogAscii::use_json). orig -> src, resp -> dst, conn_state -> state, direction "->"; packets and bytes
 * are the IP-level counts (orig_ip_bytes + resp_ip_bytes), as Argus counts them; payload bytes
 * (orig_bytes, resp_bytes) go to `extra` as SAppBytes and DAppBytes, missed_bytes under its own name.
 */
import {
  ADD_DSTBYTES,
  ADD_DSTPKTS,
  ADD_SRCBYTES,
  ADD_SRCPKTS,
  type ColumnLayout,
  DADDR,
  DPORT,
  DUR,
  EXTRA,
  LABEL,
  layoutComplete,
  makeLayout,
  PROTO,
  parseColumns,
  SADDR,
  SKIP,
  SPORT,
  START,
  STATE,
} from "./columns.ts";
import { emptyFlow, type Flow, type FlowLineParser, type FlowParseResult } from "./record.ts";
import { FlowTimes, isAddress, protoName } from "./scan.ts";

/** The #fields of Zeek's conn.log (the columns assumed when a log comes without its header). */
export const ZEEK_CONN_FIELDS = [
  "ts",
  "uid",
  "id.orig_h",
  "id.orig_p",
  "id.resp_h",
  "id.resp_p",
  "proto",
  "service",
  "duration",
  "orig_bytes",
  "resp_bytes",
  "conn_state",
  "local_orig",
  "local_resp",
  "missed_bytes",
  "history",
  "orig_pkts",
  "orig_ip_bytes",
  "resp_pkts",
  "resp_ip_bytes",
  "tunnel_parents",
];

/** Zeek fields kept in `extra`, under these names. */
const EXTRA_NAMES: Record<string, string> = {
  orig_bytes: "SAppBytes",
  resp_bytes: "DAppBytes",
  missed_bytes: "missed_bytes",
};

const ZEEK_COLUMNS: Record<string, number> = {
  ts: START,
  "id.orig_h": SADDR,
  "id.orig_p": SPORT,
  "id.resp_h": DADDR,
  "id.resp_p": DPORT,
  proto: PROTO,
  duration: DUR,
  conn_state: STATE,
  orig_pkts: ADD_SRCPKTS,
  resp_pkts: ADD_DSTPKTS,
  orig_ip_bytes: ADD_SRCBYTES,
  resp_ip_bytes: ADD_DSTBYTES,
  label: LABEL,
};

function zeekLayout(fields: string[], sep: string, unset: string): ColumnLayout | null {
  const names = fields.map((n) => EXTRA_NAMES[n] ?? n);
  const layout = makeLayout(
    names,
    (n, _all) => ZEEK_COLUMNS[n] ?? (Object.values(EXTRA_NAMES).includes(n) ? EXTRA : SKIP),
    sep,
    unset,
  );
  return layoutComplete(layout) ? layout : null;
}

/** "\x09" -> tab, as Zeek writes its separator. */
function zeekUnescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * Zeek TSV lines. `#separator`, `#unset_field` and `#fields` lines set up the columns (also mid-stream,
 * for concatenated logs); other `#` lines are skipped. Logs with a labelled tail whose last columns are
 * separated by three spaces (IoT-23's `tunnel_parents   label   detailed-label`) are read too.
 */
export class ZeekTsvParser implements FlowLineParser {
  readonly name = "zeek";
  private sep = "\t";
  private unset = "-";
  private layout = zeekLayout(ZEEK_CONN_FIELDS, "\t", "-") as ColumnLayout;
  /** The #fields line used "   " inside its last column. */
  private tripleSpace = false;
  private readonly times = new FlowTimes();

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    if (line.charCodeAt(0) === 35) return this.directive(line);
    if (this.tripleSpace) line = line.replaceAll("   ", this.sep);
    const f = into ?? emptyFlow();
    return parseColumns(line, this.layout, this.times, f) ?? f;
  }

  private directive(line: string): FlowParseResult {
    if (line.startsWith("#separator ")) {
      this.sep = zeekUnescape(line.slice(11));
      return null;
    }
    const sep = this.sep;
    if (line.startsWith(`#unset_field${sep}`)) {
      this.unset = line.slice(13);
      return null;
    }
    if (line.startsWith(`#fields${sep}`)) {
      const raw = line.slice(8).split(sep);
      this.tripleSpace = raw.some((n) => n.includes("   "));
      const fields = raw.flatMap((n) => n.split("   ")).map((n) => n.trim());
      const layout = this.unset.length === 1 ? zeekLayout(fields, sep, this.unset) : null;
      if (!layout) return "wrong-format";
      this.layout = layout;
      return null;
    }
    return null;
  }
}

type Json = Record<string, unknown>;

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * Zeek JSON lines: the conn.log fields by the same names (`id.orig_h`, or nested `id: {orig_h}`); ts as
 * epoch seconds or an ISO string.
 */
export class ZeekJsonParser implements FlowLineParser {
  readonly name = "zeek-json";
  private readonly times = new FlowTimes();

  parse(line: string, into?: Flow): FlowParseResult {
    if (line.length === 0) return "empty";
    if (line.charCodeAt(0) !== 123) return "wrong-format";
    let o: Json;
    try {
      o = JSON.parse(line);
    } catch {
      return "bad-json";
    }
    if (o === null || typeof o !== "object" || Array.isArray(o)) return "bad-json";
    const id = typeof o.id === "object" && o.id !== null ? (o.id as Json) : null;
    const src = o["id.orig_h"] ?? id?.orig_h;
    const dst = o["id.resp_h"] ?? id?.resp_h;
    if (src === undefined && dst === undefined) return "wrong-format";
    let start: number;
    if (typeof o.ts === "number") start = o.ts;
    else if (typeof o.ts === "string") start = this.times.parse(o.ts, 0, o.ts.length);
    else start = Number.NaN;
    if (!Number.isFinite(start)) return "bad-time";
    if (typeof src !== "string" || typeof dst !== "string") return "bad-address";
    if (!isAddress(src, 0, src.length) || !isAddress(dst, 0, dst.length)) return "bad-address";
    const sp = o["id.orig_p"] ?? id?.orig_p;
    const dp = o["id.resp_p"] ?? id?.resp_p;
    const origPkts = num(o.orig_pkts);
    const respPkts = num(o.resp_pkts);
    const origIpBytes = num(o.orig_ip_bytes);
    const respIpBytes = num(o.resp_ip_bytes);
    let extra: Record<string, number> | null = null;
    for (const [field, name] of Object.entries(EXTRA_NAMES)) {
      const v = num(o[field]);
      if (v !== null) {
        extra ??= {};
        extra[name] = v;
      }
    }
    const f = into ?? emptyFlow();
    f.start = start;
    f.duration = num(o.duration) ?? 0;
    f.proto = typeof o.proto === "string" ? protoName(o.proto, 0, o.proto.length) : "";
    f.srcAddr = src;
    f.srcPort = num(sp);
    f.dir = "->";
    f.dstAddr = dst;
    f.dstPort = num(dp);
    f.state = typeof o.conn_state === "string" ? o.conn_state : "";
    f.sTos = null;
    f.dTos = null;
    f.totPkts = (origPkts ?? 0) + (respPkts ?? 0);
    f.totBytes = (origIpBytes ?? 0) + (respIpBytes ?? 0);
    f.srcBytes = origIpBytes ?? 0;
    f.srcPkts = origPkts;
    f.dstPkts = respPkts;
    f.label = typeof o.label === "string" && o.label !== "" ? o.label : null;
    f.extra = extra;
    return f;
  }
}
