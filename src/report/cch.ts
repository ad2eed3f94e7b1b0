/**
 * Clearing-house reports (ACDC CCH, API v2) for hosts found by the periodicity detectors, as relbot's
 * acdcsubmitter builds them (spec section 3): report_category "eu.acdc.bot", report_type, timestamp
 * (UTC, seconds, "Z"), source_key "ip", source_value, confidence_level, version 1, report_subcategory
 * "other", ip_version, src_ip_v4 or src_ip_v6, src_mode. The original only labelled the mode; here
 * anon really truncates the address (/24 for IPv4, /48 for IPv6) and pseudo replaces it with a keyed
 * hash (botscope's IP hash, so pseudonyms compare across reports under one passphrase).
 */
import { isIPv4, isIPv6 } from "node:net";
import { UserError } from "../core/errors.ts";

export const CCH_CATEGORY = "eu.acdc.bot";
export const IP_MODES = ["plain", "anon", "pseudo"] as const;
export type IpMode = (typeof IP_MODES)[number];

/** relbot's default report type (what its submitter sends) and botscope's keep-alive one. */
export const RELBOT_REPORT_TYPE = "RelBot detected suspicious host activities";
export const KEEPALIVE_REPORT_TYPE = "botscope detected periodic contacts (keep-alive or beacon)";
export const DEFAULT_CONFIDENCE = 0.5;

export interface CchReport {
  report_category: typeof CCH_CATEGORY;
  report_type: string;
  timestamp: string;
  source_key: "ip";
  source_value: string;
  confidence_level: number;
  version: 1;
  report_subcategory: "other";
  ip_version: 4 | 6;
  src_ip_v4?: string;
  src_ip_v6?: string;
  src_mode: IpMode;
}

/** A keyed hash of an address (botscope's IpHasher fits). */
export interface IpPseudonymizer {
  hash(ip: string): string;
}

export interface CchReportOptions {
  mode: IpMode;
  reportType: string;
  /** Used for pseudo mode. */
  hasher?: IpPseudonymizer;
  /** Report time; default now. */
  now?: Date;
}

/** "2024-02-08T15:16:39Z": ISO UTC without milliseconds, as the original's strftime. */
export function cchTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The eight 16-bit groups of an IPv6 address (zone dropped, embedded IPv4 read); undefined if invalid. */
export function ipv6Groups(ip: string): number[] | undefined {
  const text = ip.split("%")[0];
  if (!isIPv6(text)) return undefined;
  let head = text;
  const tailGroups: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(head);
  if (v4) {
    const o = v4[1].split(".").map(Number);
    tailGroups.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
    head = head.slice(0, -v4[1].length);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  let groups: number[];
  if (head.includes("::")) {
    const [a, b] = head.split("::");
    const left = parse(a);
    const right = [...parse(b), ...tailGroups];
    groups = [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  } else {
    groups = [...parse(head), ...tailGroups];
  }
  return groups.length === 8 ? groups : undefined;
}

/** RFC 5952 text of eight groups: lower case, leading zeros dropped, the longest run (>= 2) of zeros as "::". */
export function formatIpv6(groups: number[]): string {
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(":");
  return `${hex.slice(0, bestAt).join(":")}::${hex.slice(bestAt + bestLen).join(":")}`;
}

/** Whether an address is IPv6 (the original: it contains ':'; IPv4-mapped IPv6 counts as IPv4). */
function ipVersion(ip: string): 4 | 6 {
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return 4;
  return ip.includes(":") ? 6 : 4;
}

/**
 * The anonymised address: IPv4 truncated to its /24 ("192.0.2.0"), IPv6 to its /48 ("2001:db8:1::").
 * An address that is neither is a UserError (anonymising a name cannot be done safely).
 */
export function anonymizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1] : ip;
  if (isIPv4(v4)) return `${v4.split(".").slice(0, 3).join(".")}.0`;
  const g = ipv6Groups(ip);
  if (!g) throw new UserError(`cannot anonymise "${ip}": not an IPv4 or IPv6 address`);
  return formatIpv6([g[0], g[1], g[2], 0, 0, 0, 0, 0]);
}

/** One report for one host address. */
export function buildCchReport(ip: string, confidence: number, o: CchReportOptions): CchReport {
  if (!(confidence >= 0 && confidence <= 1))
    throw new UserError(`confidence must be in [0, 1], got ${confidence}`);
  let value: string;
  switch (o.mode) {
    case "plain":
      value = ip;
      break;
    case "anon":
      value = anonymizeIp(ip);
      break;
    case "pseudo":
      if (!o.hasher) throw new UserError("pseudo mode needs the IP hash key (BOTSCOPE_HASH_PASSPHRASE)");
      value = o.hasher.hash(ip);
      break;
  }
  const version = ipVersion(ip);
  const report: CchReport = {
    report_category: CCH_CATEGORY,
    report_type: o.reportType,
    timestamp: cchTimestamp(o.now ?? new Date()),
    source_key: "ip",
    source_value: value,
    confidence_level: confidence,
    version: 1,
    report_subcategory: "other",
    ip_version: version,
    src_mode: o.mode,
  };
  // same key order as the original's dict: ip_version, src_ip_vN, src_mode
  const { src_mode, ...rest } = report;
  return version === 6 ? { ...rest, src_ip_v6: value, src_mode } : { ...rest, src_ip_v4: value, src_mode };
}

/**
 * Hosts of a relbot-style result that the original's submitter would report: a count >= minIdx for
 * at least one period.
 */
export function hostsAtMinIdx<T extends { host: string; counts: readonly number[] }>(
  hosts: readonly T[],
  minIdx: number,
): T[] {
  return hosts.filter((h) => h.counts.some((c) => c >= minIdx));
}

/** Reports as a JSON document (an array), or JSON lines when `lines` is set. */
export function formatCchReports(reports: readonly CchReport[], lines = false): string {
  if (lines) return reports.map((r) => `${JSON.stringify(r)}\n`).join("");
  return `${JSON.stringify(reports, null, 2)}\n`;
}
