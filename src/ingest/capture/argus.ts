/**
 * Argus as the reference for capture flows: runs `argus` (argus-server) and `ra` (argus-client) on a
 * capture, reads their records back as Flow, and compares two flow lists (counts, packets, bytes per
 * protocol, and a per-record match on protocol, addresses, ports and start time). Used by the
 * comparison test, bench/capture-vs-argus.ts and the capture benchmark; docs/capture-vs-argus.md has
 * the measured numbers and the differences by design.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Flow } from "../flows/record.ts";

export interface ArgusTools {
  argus: string;
  ra: string;
}

/** `argus` and `ra` from PATH or the Debian locations; undefined when either is missing. */
export function findArgus(): ArgusTools | undefined {
  const find = (name: string): string | undefined => {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    const p = r.status === 0 ? r.stdout.trim() : "";
    if (p) return p;
    for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"])
      if (existsSync(join(dir, name))) return join(dir, name);
    return undefined;
  };
  const argus = find("argus");
  const ra = find("ra");
  return argus && ra ? { argus, ra } : undefined;
}

export interface ArgusRunOptions {
  /** Argus -S: seconds between status records of a flow (argus's own default is 5). */
  statusInterval: number;
}

/** The ra fields read back, in this order. */
export const RA_FIELDS = [
  "stime",
  "dur",
  "proto",
  "saddr",
  "sport",
  "dir",
  "daddr",
  "dport",
  "state",
  "stos",
  "dtos",
  "spkts",
  "dpkts",
  "sbytes",
  "dbytes",
];

/**
 * The argus command line for a capture: -X ignores /etc/argus.conf (whose output file and options
 * would otherwise apply), -S the status interval.
 */
export function argusArgs(pcap: string, out: string, o: ArgusRunOptions): string[] {
  return ["-X", "-S", String(o.statusInterval), "-r", pcap, "-w", out];
}

/**
 * The ra command line that prints an argus file as CSV: -X ignores /etc/ra.conf (Debian's sets
 * RA_PORT_DIRECTION, which swaps source and destination of flows without a SYN by port number when
 * printing), -n numbers not names, -u epoch times, -Z b TCP flags as state; management records
 * left out.
 */
export function raArgs(file: string): string[] {
  return ["-X", "-r", file, "-n", "-u", "-Z", "b", "-c", ",", "-s", ...RA_FIELDS, "-", "not", "man"];
}

/** Runs argus then ra on `pcap` and returns ra's CSV text (header line first). */
export function runArgus(tools: ArgusTools, pcap: string, o: ArgusRunOptions): string {
  const dir = mkdtempSync(join(tmpdir(), "botscope-argus-"));
  try {
    const out = join(dir, "out.argus");
    execFileSync(tools.argus, argusArgs(pcap, out, o), { stdio: ["ignore", "ignore", "pipe"] });
    return execFileSync(tools.ra, raArgs(out), { encoding: "utf8", maxBuffer: 1 << 30 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function port(text: string): number | null {
  if (text === "") return null;
  return text.startsWith("0x") ? Number.parseInt(text.slice(2), 16) : Number(text);
}

function num(text: string): number | null {
  return text === "" ? null : Number(text);
}

/** ra's CSV (the RA_FIELDS columns) as flows; the header and lines of other shapes are skipped. */
export function parseRaCsv(text: string): Flow[] {
  const flows: Flow[] = [];
  for (const line of text.split("\n")) {
    const c = line.split(",");
    if (c.length !== RA_FIELDS.length || c[0] === "StartTime") continue;
    const spkts = Number(c[11]);
    const dpkts = Number(c[12]);
    const sbytes = Number(c[13]);
    const dbytes = Number(c[14]);
    flows.push({
      start: Number(c[0]),
      duration: Number(c[1]),
      proto: c[2],
      srcAddr: c[3],
      srcPort: port(c[4]),
      dir: c[5].trim(),
      dstAddr: c[6],
      dstPort: port(c[7]),
      state: c[8],
      sTos: num(c[9]),
      dTos: num(c[10]),
      totPkts: spkts + dpkts,
      totBytes: sbytes + dbytes,
      srcBytes: sbytes,
      srcPkts: spkts,
      dstPkts: dpkts,
      label: null,
      extra: { DstBytes: dbytes },
    });
  }
  return flows;
}

// ---- comparison ----

export interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}

export interface FlowComparison {
  ours: Totals & { byProto: Record<string, Totals> };
  argus: Totals & { byProto: Record<string, Totals> };
  /** Records matched on protocol, addresses, ports and start time (microseconds). */
  matched: number;
  /** Of those, matched only with source and destination swapped. */
  reversed: number;
  /**
   * Records left over on both sides that pair up on protocol, addresses and ports with the same
   * packets and bytes but a start less than a minute apart (Argus reporting a record's times one
   * packet late); not in `matched`.
   */
  shifted: number;
  /** Matched records whose packets, bytes, source bytes, state, dir or duration differ. */
  differ: { packets: number; bytes: number; srcBytes: number; state: number; dir: number; duration: number };
  /** Records without a partner, a few of each side for the report. */
  onlyOurs: number;
  onlyArgus: number;
  examples: { ours: Flow[]; argus: Flow[]; differ: [Flow, Flow][] };
}

function totals(flows: Flow[]): Totals & { byProto: Record<string, Totals> } {
  const t = { flows: 0, packets: 0, bytes: 0, byProto: {} as Record<string, Totals> };
  for (const f of flows) {
    t.flows++;
    t.packets += f.totPkts;
    t.bytes += f.totBytes;
    const p = t.byProto[f.proto] ?? { flows: 0, packets: 0, bytes: 0 };
    p.flows++;
    p.packets += f.totPkts;
    p.bytes += f.totBytes;
    t.byProto[f.proto] = p;
  }
  return t;
}

/** ICMPv4 states whose destination port Argus 3 prints byte-swapped (identifier, refused port, protocol). */
const SWAPPED_ICMP = new Set(["ECO", "ECR", "TST", "TSR", "IRQ", "IRR", "MAS", "MSR", "URP", "URO"]);

/** Argus's destination port as botscope reports it (see SWAPPED_ICMP). */
export function normalArgusPort(f: Flow): number | null {
  if (f.proto !== "icmp" || f.dstPort === null || !SWAPPED_ICMP.has(f.state)) return f.dstPort;
  return ((f.dstPort & 255) << 8) | (f.dstPort >> 8);
}

function key(f: Flow, dport: number | null, reverse: boolean): string {
  const us = Math.round(f.start * 1e6);
  return reverse
    ? `${f.proto}|${f.dstAddr}|${dport ?? ""}|${f.srcAddr}|${f.srcPort ?? ""}|${us}`
    : `${f.proto}|${f.srcAddr}|${f.srcPort ?? ""}|${f.dstAddr}|${dport ?? ""}|${us}`;
}

/** Compares botscope's records with Argus's (ra's, read by parseRaCsv) for the same capture. */
export function compareFlows(ours: Flow[], argus: Flow[], examples = 5): FlowComparison {
  const byKey = new Map<string, Flow[]>();
  for (const f of ours) {
    const k = key(f, f.dstPort, false);
    const list = byKey.get(k);
    if (list) list.push(f);
    else byKey.set(k, [f]);
  }
  const take = (k: string): Flow | undefined => {
    const list = byKey.get(k);
    const f = list?.shift();
    if (list && list.length === 0) byKey.delete(k);
    return f;
  };
  const c: FlowComparison = {
    ours: totals(ours),
    argus: totals(argus),
    matched: 0,
    reversed: 0,
    shifted: 0,
    differ: { packets: 0, bytes: 0, srcBytes: 0, state: 0, dir: 0, duration: 0 },
    onlyOurs: 0,
    onlyArgus: 0,
    examples: { ours: [], argus: [], differ: [] },
  };
  const unmatched: Flow[] = [];
  for (const a of argus) {
    const dport = normalArgusPort(a);
    let o = take(key(a, dport, false));
    let reversed = false;
    if (!o) {
      o = take(key(a, dport, true));
      reversed = o !== undefined;
    }
    if (!o) {
      unmatched.push(a);
      continue;
    }
    c.matched++;
    if (reversed) c.reversed++;
    let bad = false;
    const d = c.differ;
    if (o.totPkts !== a.totPkts) bad = !!++d.packets;
    if (o.totBytes !== a.totBytes) bad = !!++d.bytes;
    if ((reversed ? o.totBytes - o.srcBytes : o.srcBytes) !== a.srcBytes) bad = !!++d.srcBytes;
    if (o.state !== a.state) bad = !!++d.state;
    if (o.dir !== a.dir) bad = !!++d.dir;
    // ra prints durations of single precision (about 7 significant digits) to the microsecond
    if (Math.abs(o.duration - a.duration) > 1.5e-6 + a.duration * 2 ** -22) bad = !!++d.duration;
    if (bad && c.examples.differ.length < examples) c.examples.differ.push([o, a]);
  }
  // second pass: the same record with its times shifted
  const left = new Map<string, Flow[]>();
  for (const list of byKey.values())
    for (const f of list) {
      const k = key(f, f.dstPort, false).replace(/\|\d+$/, "");
      const l = left.get(k);
      if (l) l.push(f);
      else left.set(k, [f]);
    }
  const stillArgus: Flow[] = [];
  for (const a of unmatched) {
    const l = left.get(key(a, normalArgusPort(a), false).replace(/\|\d+$/, ""));
    const i = l
      ? l.findIndex(
          (o) => o.totPkts === a.totPkts && o.totBytes === a.totBytes && Math.abs(o.start - a.start) < 60,
        )
      : -1;
    if (l && i >= 0) {
      l.splice(i, 1);
      c.shifted++;
    } else stillArgus.push(a);
  }
  c.onlyArgus = stillArgus.length;
  c.examples.argus = stillArgus.slice(0, examples);
  for (const list of left.values()) {
    c.onlyOurs += list.length;
    for (const f of list) if (c.examples.ours.length < examples) c.examples.ours.push(f);
  }
  return c;
}
