/**
 * Where flow labels come from: CTU-13's Label column (by substring, botnet first: From-Botnet / To-Botnet
 * / Botnet -> botnet, Normal -> normal, Background -> background), or a labels file of host time ranges.
 *
 * Labels file (CSV, `#` comments, an optional header line starting with "host"):
 *
 *   host,from,to[,class]
 *   10.20.168.192,2026-03-02T08:00:00Z,2026-03-02T12:00:00Z,botnet
 *   10.20.0.0/16,,,normal
 *
 * `host` is an address or an IPv4 CIDR, `from`/`to` ISO-8601 times or epoch seconds (empty: open),
 * `class` botnet (default), normal or background. A flow takes a class when its source address matches
 * a range's host and its start lies in [from, to); botnet wins over normal, normal over background.
 * Flows no range covers take the `unlisted` class (default normal).
 */
import { UserError } from "../core/errors.ts";
import { type Cidr, cidrContains, ipv4ToInt, parseCidr } from "../core/net.ts";
import type { Flow } from "../ingest/flows/record.ts";
import { labelClass } from "../ingest/flows/record.ts";
import type { RowLabel } from "./windows.ts";

export type LabelOf = (f: Flow) => RowLabel;

/** CTU-13 labels: botnet 1, normal 0, background and unlabelled -1. */
export const ctu13Label: LabelOf = (f) => {
  const c = labelClass(f.label);
  return c === "botnet" ? 1 : c === "normal" ? 0 : -1;
};

export interface LabelRange {
  host: string;
  cidr: Cidr | undefined;
  from: number;
  to: number;
  label: RowLabel;
}

const CLASSES: Record<string, RowLabel> = { botnet: 1, normal: 0, background: -1 };

function parseTime(text: string, what: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const v = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Date.parse(t) / 1000;
  if (Number.isNaN(v)) throw new UserError(`${what}: "${t}" is not an ISO-8601 time or epoch seconds`);
  return v;
}

/** Parses a labels file's text; errors name the file and line. */
export function parseLabelRanges(text: string, file = "labels"): LabelRange[] {
  const out: LabelRange[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    if (line === "" || line.startsWith("#") || /^host\b/i.test(line)) return;
    const f = line.split(",").map((s) => s.trim());
    if (f.length < 3 || f.length > 4)
      throw new UserError(`${where}: expected host,from,to[,class], got "${line}"`);
    const host = f[0];
    const cidr = host.includes("/") ? parseCidr(host) : undefined;
    if (host.includes("/") && !cidr) throw new UserError(`${where}: "${host}" is not an IPv4 CIDR`);
    if (!cidr && Number.isNaN(ipv4ToInt(host)) && !host.includes(":")) {
      throw new UserError(`${where}: "${host}" is not an address`);
    }
    const cls = (f[3] ?? "botnet").toLowerCase() || "botnet";
    const label = CLASSES[cls];
    if (label === undefined)
      throw new UserError(`${where}: class "${f[3]}" is not botnet, normal or background`);
    const from = parseTime(f[1], where) ?? Number.NEGATIVE_INFINITY;
    const to = parseTime(f[2], where) ?? Number.POSITIVE_INFINITY;
    if (!(from < to)) throw new UserError(`${where}: from must be before to`);
    out.push({ host, cidr, from, to, label });
  });
  if (out.length === 0) throw new UserError(`${file}: no label ranges`);
  return out;
}

/** Labels from ranges (see the file header for the rules). */
export function rangeLabels(ranges: LabelRange[], unlisted: RowLabel = 0): LabelOf {
  const exact = new Map<string, LabelRange[]>();
  const nets: LabelRange[] = [];
  for (const r of ranges) {
    if (r.cidr) nets.push(r);
    else {
      const list = exact.get(r.host) ?? [];
      list.push(r);
      exact.set(r.host, list);
    }
  }
  return (f) => {
    let best: RowLabel | undefined;
    const consider = (r: LabelRange): void => {
      if (f.start < r.from || f.start >= r.to) return;
      if (best === undefined || r.label > best) best = r.label;
    };
    for (const r of exact.get(f.srcAddr) ?? []) consider(r);
    if (nets.length && best !== 1) {
      const ip = ipv4ToInt(f.srcAddr);
      if (!Number.isNaN(ip)) for (const r of nets) if (cidrContains(r.cidr as Cidr, ip)) consider(r);
    }
    return best ?? unlisted;
  };
}
