/**
 * Seeded network-flow simulator with ground truth: an Argus binetflow capture in the exact CTU-13
 * layout (labels included) with normal hosts, background traffic, infected hosts (spam, C&C, scans)
 * and p2p keep-alive bots. Same options and seed give the same bytes.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { gzipSync } from "node:zlib";
import type { Cidr } from "../core/net.ts";
import { cidrContains, intToIpv4, ipv4ToInt, parseCidr, randomPublicIpv4 } from "../core/net.ts";
import { Rng } from "../core/random.ts";
import { simulateBackground } from "./flows-background.ts";
import type { Behaviour } from "./flows-bots.ts";
import { simulateInfected, simulateP2p } from "./flows-bots.ts";
import { BINETFLOW_HEADER, FlowSink } from "./flows-format.ts";
import type { InternetServices } from "./flows-normal.ts";
import { simulateNormalHost } from "./flows-normal.ts";
import type { SimContext } from "./flows-util.ts";
import { randomInternal, US } from "./flows-util.ts";

export type { KeepAliveSpec } from "./flows-bots.ts";
export { keepAliveTimes } from "./flows-bots.ts";
export { BINETFLOW_HEADER, formatArgusTime, labelClass } from "./flows-format.ts";

export interface FlowSimOptions {
  seed: number;
  /** ISO start of the capture, default "2026-03-02T08:00:00Z". */
  start?: string;
  /** Capture length, default 4. */
  hours?: number;
  /** Internal network CIDR, default "10.20.0.0/16". */
  internal?: string;
  /** Labelled normal hosts, default 12. */
  normalHosts?: number;
  /** Unlabelled background flows per minute, default 300. */
  backgroundFlowsPerMinute?: number;
  /** Default: one spam+cc and one scan+cc host of "botnet-x". */
  infected?: InfectedSpec[];
  /** Default: one bot with 5 peers every 600 s, jitter 2 s. */
  p2p?: P2pSpec[];
}

export interface InfectedSpec {
  host?: string;
  behaviours: Behaviour[];
  botnet: string;
  /** Hours after the start of the capture when the infection begins, default 0. */
  startHour?: number;
}

export interface P2pSpec {
  /** Internal bot address (chosen if absent). */
  host?: string;
  /** External peers it keeps alive with. */
  peers: number;
  periodSeconds: number;
  /** Sd of per-beat jitter, default 2. */
  jitterSeconds?: number;
  /** Systematic drift per period, default 0. */
  driftPerPeriodMs?: number;
  /** Share of beats dropped, default 0. */
  missedBeatShare?: number;
  /** Default udp. */
  protocol?: "udp" | "tcp";
  /** Botnet name in the ground truth, default "p2p". */
  botnet?: string;
}

export interface FlowGroundTruth {
  start: string;
  end: string;
  internal: string;
  hosts: Record<string, { role: "normal" | "infected" | "p2p"; botnet?: string; behaviours?: string[] }>;
  p2p: { host: string; peers: string[]; periodSeconds: number; jitterSeconds: number; protocol: string }[];
  flows: number;
  flowsByLabel: { botnet: number; normal: number; background: number };
}

/** lines[0] is the header; lines carry no trailing newline. */
export interface FlowSimResult {
  lines: string[];
  truth: FlowGroundTruth;
}

/** CTU-13 numbers its captures V42-V54; simulated captures use a version of their own. */
export const SIMULATED_CAPTURE_VERSION = 60;

export const DEFAULT_INFECTED: readonly InfectedSpec[] = [
  { behaviours: ["spam", "cc"], botnet: "botnet-x" },
  { behaviours: ["scan", "cc"], botnet: "botnet-x" },
];
export const DEFAULT_P2P: readonly P2pSpec[] = [{ peers: 5, periodSeconds: 600, jitterSeconds: 2 }];

interface Resolved {
  seed: number;
  startMs: number;
  hours: number;
  internal: Cidr;
  normalHosts: number;
  backgroundFlowsPerMinute: number;
  infected: readonly InfectedSpec[];
  p2p: readonly P2pSpec[];
}

function resolveOptions(opts: FlowSimOptions): Resolved {
  const startText = opts.start ?? "2026-03-02T08:00:00Z";
  const startMs = Date.parse(startText);
  if (Number.isNaN(startMs)) throw new RangeError(`start is not an ISO time: ${startText}`);
  const internalText = opts.internal ?? "10.20.0.0/16";
  const internal = parseCidr(internalText);
  if (!internal || internal.bits > 24) {
    throw new RangeError(`internal must be an IPv4 CIDR of at least a /24, got ${internalText}`);
  }
  const r: Resolved = {
    seed: opts.seed,
    startMs,
    hours: opts.hours ?? 4,
    internal,
    normalHosts: opts.normalHosts ?? 12,
    backgroundFlowsPerMinute: opts.backgroundFlowsPerMinute ?? 300,
    infected: opts.infected ?? DEFAULT_INFECTED,
    p2p: opts.p2p ?? DEFAULT_P2P,
  };
  if (!(r.hours > 0)) throw new RangeError("hours must be positive");
  if (!Number.isInteger(r.normalHosts) || r.normalHosts < 0)
    throw new RangeError("normalHosts must be an integer >= 0");
  if (!(r.backgroundFlowsPerMinute >= 0)) throw new RangeError("backgroundFlowsPerMinute must be >= 0");
  for (const p of r.p2p) {
    if (!Number.isInteger(p.peers) || p.peers < 1) throw new RangeError("p2p peers must be an integer >= 1");
    if (!(p.periodSeconds > 0)) throw new RangeError("p2p periodSeconds must be positive");
    const missed = p.missedBeatShare ?? 0;
    if (!(missed >= 0 && missed < 1)) throw new RangeError("p2p missedBeatShare must be in [0, 1)");
  }
  return r;
}

/** Hands out internal addresses: the caller's choices first, so random picks never collide with them. */
class AddressBook {
  private readonly taken = new Set<string>();

  constructor(
    private readonly rng: Rng,
    private readonly internal: Cidr,
  ) {}

  reserve(ip: string, what: string): void {
    const v = ipv4ToInt(ip);
    if (Number.isNaN(v) || !cidrContains(this.internal, v)) {
      throw new RangeError(`${what} ${ip} is not inside the internal network ${this.internal.text}`);
    }
    if (this.taken.has(ip)) throw new RangeError(`${what} ${ip} is used twice`);
    this.taken.add(ip);
  }

  fresh(): string {
    const ip = randomInternal(this.rng, this.internal, this.taken);
    this.taken.add(ip);
    return ip;
  }
}

interface Assigned {
  resolver: string;
  normal: string[];
  infected: string[];
  p2p: string[];
}

function assignAddresses(rng: Rng, o: Resolved): Assigned {
  const book = new AddressBook(rng, o.internal);
  const resolver = intToIpv4(o.internal.base + 2);
  book.reserve(resolver, "resolver");
  o.infected.forEach((s, i) => {
    if (s.host) book.reserve(s.host, `infected[${i}].host`);
  });
  o.p2p.forEach((s, i) => {
    if (s.host) book.reserve(s.host, `p2p[${i}].host`);
  });
  return {
    resolver,
    normal: Array.from({ length: o.normalHosts }, () => book.fresh()),
    infected: o.infected.map((s) => s.host ?? book.fresh()),
    p2p: o.p2p.map((s) => s.host ?? book.fresh()),
  };
}

/** The Internet as seen from the network: web servers clustered in provider /24s, NTP and chat servers. */
function internetServices(rng: Rng): InternetServices {
  const web: string[] = [];
  for (let p = 0; p < 60; p++) {
    const prefix = randomPublicIpv4(rng).split(".").slice(0, 3).join(".");
    const count = rng.intBetween(2, 10);
    for (let i = 0; i < count; i++) web.push(`${prefix}.${rng.intBetween(1, 254)}`);
  }
  const some = (n: number) => Array.from({ length: n }, () => randomPublicIpv4(rng));
  return { web: [...new Set(web)], ntp: some(4), chat: some(6) };
}

export function simulateFlows(opts: FlowSimOptions): FlowSimResult {
  const o = resolveOptions(opts);
  const root = new Rng(o.seed);
  // Fork every component up front so that changing one part of the scenario leaves the others' draws alone.
  const rngs = {
    addresses: root.fork("addresses"),
    internet: root.fork("internet"),
    normal: root.fork("normal"),
    background: root.fork("background"),
    infected: root.fork("infected"),
    p2p: root.fork("p2p"),
  };
  const addr = assignAddresses(rngs.addresses, o);
  const net = internetServices(rngs.internet);
  const startUs = o.startMs * 1000;
  const endUs = startUs + Math.round(o.hours * 3600 * US);
  const ctx: SimContext = {
    sink: new FlowSink(startUs, endUs),
    startUs,
    endUs,
    internal: o.internal,
    resolver: addr.resolver,
    labelled: new Set([...addr.normal, ...addr.infected, ...addr.p2p]),
    version: SIMULATED_CAPTURE_VERSION,
  };
  const truth = newTruth(o, startUs, endUs);

  addr.normal.forEach((ip, i) => {
    const name = `Host${String(i + 1).padStart(2, "0")}`;
    simulateNormalHost(ctx, rngs.normal.fork(name), { ip, name }, net);
    truth.hosts[ip] = { role: "normal" };
  });
  simulateBackground(ctx, rngs.background, o.backgroundFlowsPerMinute, net);
  simulateBots(ctx, o, addr, rngs.infected, rngs.p2p, truth);

  const lines = [BINETFLOW_HEADER, ...ctx.sink.lines()];
  truth.flows = lines.length - 1;
  truth.flowsByLabel = { ...ctx.sink.counts };
  return { lines, truth };
}

function newTruth(o: Resolved, startUs: number, endUs: number): FlowGroundTruth {
  return {
    start: new Date(startUs / 1000).toISOString(),
    end: new Date(endUs / 1000).toISOString(),
    internal: o.internal.text,
    hosts: {},
    p2p: [],
    flows: 0,
    flowsByLabel: { botnet: 0, normal: 0, background: 0 },
  };
}

/** Bots are numbered across the capture (From-Botnet-V60-<n>-...), infected hosts first. */
function simulateBots(
  ctx: SimContext,
  o: Resolved,
  addr: Assigned,
  infectedRng: Rng,
  p2pRng: Rng,
  truth: FlowGroundTruth,
): void {
  const ccServers = new Map<string, string[]>();
  let n = 0;
  o.infected.forEach((spec, i) => {
    const ip = addr.infected[i];
    const rng = infectedRng.fork(`infected:${i}`);
    if (!ccServers.has(spec.botnet))
      ccServers.set(spec.botnet, [randomPublicIpv4(rng), randomPublicIpv4(rng)]);
    const startUs = ctx.startUs + (spec.startHour ?? 0) * 3600 * US + rng.uniform(0, 60 * US);
    const prefix = `From-Botnet-V${ctx.version}-${++n}`;
    const plan = {
      ip,
      prefix,
      behaviours: spec.behaviours,
      startUs,
      ccServers: ccServers.get(spec.botnet) ?? [],
    };
    simulateInfected(ctx, rng, plan);
    truth.hosts[ip] = { role: "infected", botnet: spec.botnet, behaviours: [...spec.behaviours] };
  });
  o.p2p.forEach((spec, i) => {
    const ip = addr.p2p[i];
    const rng = p2pRng.fork(`p2p:${i}`);
    const peers = Array.from({ length: spec.peers }, () => randomPublicIpv4(rng));
    const jitterSeconds = spec.jitterSeconds ?? 2;
    const protocol = spec.protocol ?? "udp";
    simulateP2p(ctx, rng, {
      ip,
      prefix: `From-Botnet-V${ctx.version}-${++n}`,
      peers,
      periodMs: spec.periodSeconds * 1000,
      jitterMs: jitterSeconds * 1000,
      driftPerPeriodMs: spec.driftPerPeriodMs ?? 0,
      missedBeatShare: spec.missedBeatShare ?? 0,
      protocol,
    });
    truth.hosts[ip] = { role: "p2p", botnet: spec.botnet ?? "p2p" };
    truth.p2p.push({ host: ip, peers, periodSeconds: spec.periodSeconds, jitterSeconds, protocol });
  });
}

/** Writes the capture (gzipped when outPath ends in .gz) and the ground truth as JSON. */
export async function writeFlowSimulation(
  opts: FlowSimOptions,
  outPath: string,
  labelsPath: string,
): Promise<FlowGroundTruth> {
  const { lines, truth } = simulateFlows(opts);
  const text = `${lines.join("\n")}\n`;
  await mkdir(dirname(outPath), { recursive: true });
  await writeFile(outPath, outPath.endsWith(".gz") ? gzipSync(text) : text);
  await mkdir(dirname(labelsPath), { recursive: true });
  await writeFile(labelsPath, `${JSON.stringify(truth, null, 2)}\n`);
  return truth;
}
