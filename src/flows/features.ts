/**
 * What the flow models see. Every (window, flow) pair is one row:
 *
 * - per-flow features (botd's set, extended): duration, packets, bytes (total, from the source, from the
 *   destination), type of service, bytes per packet, share of bytes sent by the source, packet and byte
 *   rates, and — when the input has them — source/destination packet counts and every further numeric
 *   Argus column (`x_<Name>`: Load, Rate, SrcJitter, sTtl, ...). Protocol, direction and state are
 *   categories: one-hot protocol (tcp, udp, icmp, other) and direction (->, <->, <-, <?>, ?>, <?, who,
 *   other); the state as the TCP flags each side sent (Argus "FSPA_FSA": src F S P A, dst F S A) or as
 *   one of the non-TCP states (CON, INT, REQ, RSP, ECO, ECR, unreachable, other); and whether the
 *   connection failed (no reply, or a reset without data; INT, REQ, ECO, unreachable). Addresses and ports
 *   are never features.
 * - aggregates of the flow's source host in the window (flows it started, distinct peers, destination
 *   and source ports, the shares of failed/TCP/UDP/ICMP flows, mean and sd of bytes and duration, mean
 *   packets, share of bytes it sent, flows and peers towards it) and of the destination host (flows and
 *   distinct sources towards it, their failed share, flows it started).
 *
 * Flows without packets or without a direction are dropped, as botd drops them.
 */
import type { Flow } from "../ingest/flows/record.ts";

export const FEATURE_SPEC_VERSION = 1;

/** How rows are made; saved in every model so detection computes the same columns. */
export interface FeatureSpec {
  version: number;
  windowSeconds: number;
  stepSeconds: number;
  /** Optional per-flow fields the training input had: "src_pkts", "dst_pkts". */
  optional: string[];
  /** Extra Argus columns used (their names in the input); missing ones read as -1. */
  extras: string[];
  /** Whether host aggregates are joined to each flow. */
  aggregates: boolean;
}

export const BASE_FEATURES = [
  "dur",
  "tot_pkts",
  "tot_bytes",
  "src_bytes",
  "dst_bytes",
  "s_tos",
  "d_tos",
  "bytes_per_pkt",
  "src_bytes_share",
  "pkts_per_s",
  "bytes_per_s",
  "proto_tcp",
  "proto_udp",
  "proto_icmp",
  "proto_other",
  "dir_out",
  "dir_both",
  "dir_in",
  "dir_unknown_both",
  "dir_unknown_out",
  "dir_unknown_in",
  "dir_who",
  "dir_other",
  "src_flag_s",
  "src_flag_a",
  "src_flag_p",
  "src_flag_f",
  "src_flag_r",
  "src_flag_u",
  "src_flag_e",
  "src_flag_c",
  "dst_flag_s",
  "dst_flag_a",
  "dst_flag_p",
  "dst_flag_f",
  "dst_flag_r",
  "dst_flag_u",
  "dst_flag_e",
  "dst_flag_c",
  "state_con",
  "state_int",
  "state_req",
  "state_rsp",
  "state_eco",
  "state_ecr",
  "state_unreachable",
  "state_other",
  "failed",
] as const;

export const OPTIONAL_FEATURES = ["src_pkts", "dst_pkts"] as const;

export const SRC_AGGREGATES = [
  "src_host_flows",
  "src_host_peers",
  "src_host_dports",
  "src_host_sports",
  "src_host_peer_ratio",
  "src_host_dport_ratio",
  "src_host_failed_share",
  "src_host_tcp_share",
  "src_host_udp_share",
  "src_host_icmp_share",
  "src_host_bytes_mean",
  "src_host_bytes_sd",
  "src_host_pkts_mean",
  "src_host_dur_mean",
  "src_host_dur_sd",
  "src_host_sent_share",
  "src_host_in_flows",
  "src_host_in_peers",
] as const;

export const DST_AGGREGATES = [
  "dst_host_in_flows",
  "dst_host_in_peers",
  "dst_host_in_failed_share",
  "dst_host_flows",
] as const;

/** Column names of a spec, in matrix order. */
export function featureNames(spec: FeatureSpec): string[] {
  return [
    ...BASE_FEATURES,
    ...spec.optional,
    ...spec.extras.map((e) => `x_${e}`),
    ...(spec.aggregates ? [...SRC_AGGREGATES, ...DST_AGGREGATES] : []),
  ];
}

/** Per-flow columns (before aggregates). */
export function flowWidth(spec: FeatureSpec): number {
  return BASE_FEATURES.length + spec.optional.length + spec.extras.length;
}

/** Checks a spec read from a model file; returns a reason when it is unusable. */
export function specProblem(spec: unknown): string | undefined {
  const s = spec as Partial<FeatureSpec> | null;
  if (!s || typeof s !== "object")
    return "no flow feature spec (not a flows model: train it with `flows train`)";
  if (s.version !== FEATURE_SPEC_VERSION)
    return `flow feature spec version ${s.version}, this botscope makes ${FEATURE_SPEC_VERSION}`;
  if (!(Number(s.windowSeconds) > 0) || !(Number(s.stepSeconds) > 0))
    return "bad window or step in the feature spec";
  if (!Array.isArray(s.optional) || !Array.isArray(s.extras) || typeof s.aggregates !== "boolean") {
    return "malformed feature spec";
  }
  return undefined;
}

/** Whether botd (and botscope) keep a flow: it has packets and a direction. */
export function usableFlow(f: Flow): boolean {
  return f.totPkts > 0 && f.dir !== "";
}

const DIR_COLUMN: Record<string, number> = {
  "->": 15,
  "<->": 16,
  "<-": 17,
  "<?>": 18,
  "?>": 19,
  "<?": 20,
  who: 21,
};

/** TCP flag letters to column offsets (0..7). */
function flagIndex(c: number): number {
  switch (c | 32) {
    case 115: // s
      return 0;
    case 97: // a
      return 1;
    case 112: // p
      return 2;
    case 102: // f
      return 3;
    case 114: // r
      return 4;
    case 117: // u
      return 5;
    case 101: // e
      return 6;
    case 99: // c
      return 7;
  }
  return -1;
}

const SRC_FLAGS = 23;
const DST_FLAGS = 31;
const STATE_COLUMN: Record<string, number> = { CON: 39, INT: 40, REQ: 41, RSP: 42, ECO: 43, ECR: 44 };
const STATE_UNREACHABLE = 45;
const STATE_OTHER = 46;
const FAILED = 47;
/** Zeek conn_state values of connections that were never accepted. */
const ZEEK_FAILED = new Set(["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"]);

/** Writes the state columns (flags or named state) and returns whether the connection failed. */
function encodeState(state: string, out: Float64Array, o: number): boolean {
  const us = state.indexOf("_");
  if (us >= 0) {
    // Argus TCP: source flags _ destination flags
    let dstData = false;
    let dstReset = false;
    for (let i = 0; i < us; i++) {
      const j = flagIndex(state.charCodeAt(i));
      if (j >= 0) out[o + SRC_FLAGS + j] = 1;
    }
    for (let i = us + 1; i < state.length; i++) {
      const c = state.charCodeAt(i);
      const j = flagIndex(c);
      if (j >= 0) out[o + DST_FLAGS + j] = 1;
      if (j === 2) dstData = true;
      if (j === 4) dstReset = true;
    }
    return us === state.length - 1 || (dstReset && !dstData);
  }
  const named = STATE_COLUMN[state];
  if (named !== undefined) {
    out[o + named] = 1;
    return state === "INT" || state === "REQ" || state === "ECO";
  }
  if (state.startsWith("UR")) {
    out[o + STATE_UNREACHABLE] = 1;
    return true;
  }
  out[o + STATE_OTHER] = 1;
  return ZEEK_FAILED.has(state);
}

/**
 * Writes the per-flow columns of f at out[o..o + flowWidth(spec)) (zeroed by the caller). Returns whether
 * the connection failed.
 */
export function encodeFlow(f: Flow, spec: FeatureSpec, out: Float64Array, o: number): boolean {
  const dur = f.duration > 0 ? f.duration : 0;
  const pkts = f.totPkts;
  const bytes = f.totBytes;
  const src = f.srcBytes;
  out[o] = dur;
  out[o + 1] = pkts;
  out[o + 2] = bytes;
  out[o + 3] = src;
  out[o + 4] = bytes > src ? bytes - src : 0;
  out[o + 5] = f.sTos ?? -1;
  out[o + 6] = f.dTos ?? -1;
  out[o + 7] = pkts > 0 ? bytes / pkts : 0;
  out[o + 8] = bytes > 0 ? src / bytes : 0;
  out[o + 9] = dur > 0 ? pkts / dur : 0;
  out[o + 10] = dur > 0 ? bytes / dur : 0;
  const p = f.proto;
  const tcp = p === "tcp";
  out[o + (tcp ? 11 : p === "udp" ? 12 : p === "icmp" || p === "ipv6-icmp" ? 13 : 14)] = 1;
  out[o + (DIR_COLUMN[f.dir] ?? 22)] = 1;
  const failed = encodeState(f.state, out, o);
  out[o + FAILED] = failed ? 1 : 0;
  let j = o + BASE_FEATURES.length;
  for (const name of spec.optional) out[j++] = (name === "src_pkts" ? f.srcPkts : f.dstPkts) ?? -1;
  if (spec.extras.length) {
    const x = f.extra;
    for (const name of spec.extras) {
      const v = x?.[name];
      out[j++] = v === undefined || !Number.isFinite(v) ? -1 : v;
    }
  }
  return failed;
}

/** Column offsets inside a per-flow block that aggregates read. */
export const COL = {
  dur: 0,
  pkts: 1,
  bytes: 2,
  srcBytes: 3,
  tcp: 11,
  udp: 12,
  icmp: 13,
  failed: FAILED,
} as const;

/** What a flow adds to the spec when it is seen before the spec is fixed (training, features). */
export function observeOptional(f: Flow, optional: Set<string>, extras: Set<string>): void {
  if (f.srcPkts !== null) optional.add("src_pkts");
  if (f.dstPkts !== null) optional.add("dst_pkts");
  if (f.extra) for (const k of Object.keys(f.extra)) extras.add(k);
}

/** The spec from what was observed, in a fixed order. */
export function makeSpec(
  windowSeconds: number,
  stepSeconds: number,
  optional: Set<string>,
  extras: Set<string>,
  aggregates = true,
): FeatureSpec {
  return {
    version: FEATURE_SPEC_VERSION,
    windowSeconds,
    stepSeconds,
    optional: OPTIONAL_FEATURES.filter((o) => optional.has(o)),
    extras: [...extras].sort(),
    aggregates,
  };
}
