/** Labelled bots: infected hosts (spam, C&C, scans) in the CTU-13 manner, and p2p keep-alive bots. */
import { randomPublicIpv4 } from "../core/net.ts";
import type { Rng } from "../core/random.ts";
import type { FlowRecord } from "./flows-format.ts";
import { DIR, hexPort } from "./flows-format.ts";
import type { Exchange, SimContext } from "./flows-util.ts";
import {
  dnsExchange,
  flow,
  poissonTimes,
  randomInternal,
  resetAttempt,
  SequentialPorts,
  synAttempt,
  US,
} from "./flows-util.ts";

export type Behaviour = "spam" | "cc" | "scan";

export interface KeepAliveSpec {
  startMs: number;
  endMs: number;
  periodMs: number;
  jitterMs: number;
  driftPerPeriodMs: number;
  missedBeatShare: number;
}

/**
 * Beat times of one keep-alive schedule: beat k is due at startMs + k * (periodMs + driftPerPeriodMs),
 * moved by Gaussian jitter (sd jitterMs) and dropped with probability missedBeatShare. Beats landing
 * outside [startMs, endMs) are dropped. Times are ms with microsecond resolution, sorted.
 */
export function keepAliveTimes(rng: Rng, spec: KeepAliveSpec): number[] {
  const step = spec.periodMs + spec.driftPerPeriodMs;
  if (!(step > 0)) throw new RangeError("keep-alive period plus drift must be positive");
  const jitter = Math.max(0, spec.jitterMs);
  const out: number[] = [];
  for (let k = 0; ; k++) {
    const due = spec.startMs + k * step;
    if (due > spec.endMs + 6 * jitter) break;
    const t = due + rng.normal(0, jitter);
    if (rng.chance(spec.missedBeatShare) || t < spec.startMs || t >= spec.endMs) continue;
    out.push(Math.round(t * 1000) / 1000);
  }
  return out.sort((a, b) => a - b);
}

export interface InfectedPlan {
  ip: string;
  /** Label stem, e.g. "From-Botnet-V60-1". */
  prefix: string;
  behaviours: readonly Behaviour[];
  startUs: number;
  ccServers: readonly string[];
}

/** Source port placeholder: filled from the bot's sequential counter once its flows are in time order. */
const NEXT_PORT = -1;

interface Bot {
  ctx: SimContext;
  rng: Rng;
  plan: InfectedPlan;
  out: FlowRecord[];
}

export function simulateInfected(ctx: SimContext, rng: Rng, plan: InfectedPlan): void {
  const bot: Bot = { ctx, rng, plan, out: [] };
  if (plan.behaviours.includes("cc")) commandAndControl(bot);
  if (plan.behaviours.includes("spam")) spam(bot);
  if (plan.behaviours.includes("scan")) scan(bot);
  emitWithSequentialPorts(ctx, new SequentialPorts(rng), bot.out);
}

/** Windows bots number their connections in time order, so ports are assigned after sorting. */
function emitWithSequentialPorts(ctx: SimContext, ports: SequentialPorts, records: FlowRecord[]): void {
  records.sort((a, b) => a.us - b.us);
  for (const r of records) {
    if (r.sport === NEXT_PORT) r.sport = ports.take();
    ctx.sink.add(r);
  }
}

function lookup(bot: Bot, us: number): void {
  const { plan, ctx, rng } = bot;
  const dns = dnsExchange(rng);
  bot.out.push(
    flow(us, "udp", plan.ip, NEXT_PORT, DIR.both, ctx.resolver, 53, "CON", dns, `${plan.prefix}-UDP-DNS`),
  );
}

/** Polls one or two HTTP controllers every 60-300 s (host-specific), with jitter and small payloads. */
function commandAndControl(bot: Bot): void {
  const { plan, ctx, rng } = bot;
  const servers = plan.ccServers.slice(0, rng.chance(0.5) ? 1 : 2);
  const baseUs = rng.uniform(60, 300) * US;
  for (let t = plan.startUs + rng.uniform(0, baseUs); t < ctx.endUs; ) {
    const index = servers.length > 1 && rng.chance(0.3) ? 1 : 0;
    if (rng.chance(0.1)) lookup(bot, t - rng.uniform(0.05, 0.4) * US);
    const { state, x } = ccExchange(rng);
    const label = `${plan.prefix}-TCP-CC${index + 1}-HTTP-Not-Encrypted`;
    bot.out.push(flow(t, "tcp", plan.ip, NEXT_PORT, DIR.out, servers[index], 80, state, x, label));
    t += baseUs * Math.min(1.5, Math.max(0.5, rng.normal(1, 0.12)));
  }
}

function ccExchange(rng: Rng): { state: string; x: Exchange } {
  const r = rng.next();
  if (r < 0.03) return { state: "S_", x: synAttempt(rng) };
  if (r < 0.1)
    return { state: "SRA_SA", x: { dur: rng.logNormal(0.15, 0.5), pkts: 3, bytes: 186, srcBytes: 126 } };
  const pkts = rng.intBetween(8, 14);
  const srcBytes = rng.intBetween(420, 720);
  const x = { dur: rng.logNormal(0.4, 0.6), pkts, bytes: srcBytes + rng.intBetween(500, 4500), srcBytes };
  return { state: "FSPA_FSPA", x };
}

/** Bursts of SMTP connections to many mail exchangers, most of them refused or unanswered. */
function spam(bot: Bot): void {
  const { plan, ctx, rng } = bot;
  const exchangers: string[] = [];
  for (let i = 0; i < 4000; i++) exchangers.push(randomPublicIpv4(rng));
  for (const t of poissonTimes(rng, plan.startUs, ctx.endUs, 40)) {
    const lookups = rng.intBetween(1, 4);
    for (let i = 0; i < lookups; i++) lookup(bot, t + i * rng.uniform(0.001, 0.2) * US);
    const size = rng.intBetween(10, 70);
    let c = t + rng.uniform(0.2, 1) * US;
    for (let i = 0; i < size; i++) {
      bot.out.push(smtpFlow(rng, c, plan, rng.pick(exchangers)));
      c += rng.exponential(0.03 * US);
    }
  }
}

function smtpFlow(rng: Rng, us: number, plan: InfectedPlan, mx: string): FlowRecord {
  const r = rng.next();
  const attempt = `${plan.prefix}-TCP-Attempt-SPAM`;
  if (r < 0.7) return flow(us, "tcp", plan.ip, NEXT_PORT, DIR.out, mx, 25, "S_", synAttempt(rng), attempt);
  if (r < 0.85)
    return flow(us, "tcp", plan.ip, NEXT_PORT, DIR.out, mx, 25, "S_RA", resetAttempt(rng), attempt);
  const srcBytes = Math.round(rng.logNormal(4000, 0.6));
  const pkts = 8 + Math.ceil(srcBytes / 1200) + rng.intBetween(0, 6);
  const x = { dur: rng.logNormal(1.5, 0.8), pkts, bytes: srcBytes + rng.intBetween(500, 1400), srcBytes };
  const state = rng.chance(0.7) ? "FSPA_FSPA" : "SRPA_SPA";
  return flow(
    us,
    "tcp",
    plan.ip,
    NEXT_PORT,
    DIR.out,
    mx,
    25,
    state,
    x,
    `${plan.prefix}-TCP-Established-SPAM`,
  );
}

const BOT_SCAN_PORTS = [445, 139, 135, 22, 23, 3389, 1433, 80, 5900];

/** Horizontal port sweeps, vertical port scans of one target, and ICMP echo sweeps. */
function scan(bot: Bot): void {
  const { plan, ctx, rng } = bot;
  for (const t of poissonTimes(rng, plan.startUs, ctx.endUs, 30)) {
    const mode = rng.weighted(["horizontal", "vertical", "icmp"], [50, 25, 25]);
    if (mode === "horizontal") horizontalScan(bot, t);
    else if (mode === "vertical") verticalScan(bot, t);
    else icmpSweep(bot, t);
  }
}

/** Target list: a stretch of the local network (worms love neighbours) or random Internet hosts. */
function scanTargets(bot: Bot, count: number): string[] {
  const { rng, ctx, plan } = bot;
  const targets: string[] = [];
  const local = rng.chance(0.3);
  const avoid = new Set([plan.ip]);
  for (let i = 0; i < count; i++) {
    targets.push(local ? randomInternal(rng, ctx.internal, avoid) : randomPublicIpv4(rng));
  }
  return targets;
}

function tcpProbe(
  rng: Rng,
  us: number,
  plan: InfectedPlan,
  dst: string,
  dport: number,
  closed: number,
): FlowRecord {
  const label = `${plan.prefix}-TCP-Attempt-Scan`;
  const r = rng.next();
  if (r < closed)
    return flow(us, "tcp", plan.ip, NEXT_PORT, DIR.out, dst, dport, "S_RA", resetAttempt(rng), label);
  if (r < closed + 0.05) {
    const x = { dur: rng.logNormal(0.05, 0.8), pkts: 2, bytes: 124, srcBytes: 62 };
    return flow(us, "tcp", plan.ip, NEXT_PORT, DIR.out, dst, dport, "S_SA", x, label);
  }
  return flow(us, "tcp", plan.ip, NEXT_PORT, DIR.out, dst, dport, "S_", synAttempt(rng), label);
}

function horizontalScan(bot: Bot, t: number): void {
  const { rng, plan } = bot;
  const port = rng.pick(BOT_SCAN_PORTS);
  for (const dst of scanTargets(bot, rng.intBetween(30, 150))) {
    bot.out.push(tcpProbe(rng, t, plan, dst, port, 0.2));
    t += rng.exponential(0.04 * US);
  }
}

function verticalScan(bot: Bot, t: number): void {
  const { rng, plan } = bot;
  const [dst] = scanTargets(bot, 1);
  const count = rng.intBetween(30, 200);
  const first = rng.intBetween(1, 1024);
  for (let i = 0; i < count; i++) {
    const port = rng.chance(0.7) ? first + i : rng.intBetween(1, 65535);
    bot.out.push(tcpProbe(rng, t, plan, dst, port, 0.75));
    t += rng.exponential(0.02 * US);
  }
}

function icmpSweep(bot: Bot, t: number): void {
  const { rng, plan } = bot;
  const id = hexPort(rng.int(65536));
  const label = `${plan.prefix}-ICMP-Scan`;
  for (const dst of scanTargets(bot, rng.intBetween(30, 150))) {
    const echoed = rng.chance(0.15);
    const x = echoed
      ? { dur: rng.logNormal(0.05, 0.8), pkts: 2, bytes: 148, srcBytes: 74 }
      : { dur: 0, pkts: 1, bytes: 74, srcBytes: 74 };
    const dir = echoed ? DIR.both : DIR.out;
    bot.out.push(flow(t, "icmp", plan.ip, hexPort(8), dir, dst, id, echoed ? "ECR" : "ECO", x, label));
    t += rng.exponential(0.05 * US);
  }
}

export interface P2pPlan {
  ip: string;
  prefix: string;
  peers: readonly string[];
  periodMs: number;
  jitterMs: number;
  driftPerPeriodMs: number;
  missedBeatShare: number;
  protocol: "udp" | "tcp";
}

/** One small exchange per peer and period, each peer's schedule at its own random phase. */
export function simulateP2p(ctx: SimContext, rng: Rng, plan: P2pPlan): void {
  const listenPort = rng.intBetween(10000, 60000);
  const out: FlowRecord[] = [];
  for (const peer of plan.peers) {
    const peerPort = rng.intBetween(1024, 65535);
    const startMs = ctx.startUs / 1000 + rng.uniform(0, plan.periodMs);
    const times = keepAliveTimes(rng, { ...plan, startMs, endMs: ctx.endUs / 1000 });
    for (const ms of times)
      out.push(keepAliveFlow(rng, Math.round(ms * 1000), plan, peer, peerPort, listenPort));
  }
  emitWithSequentialPorts(ctx, new SequentialPorts(rng), out);
}

function keepAliveFlow(
  rng: Rng,
  us: number,
  plan: P2pPlan,
  peer: string,
  peerPort: number,
  listenPort: number,
): FlowRecord {
  if (plan.protocol === "tcp") {
    const srcBytes = rng.intBetween(500, 700);
    const x = {
      dur: rng.logNormal(0.15, 0.5),
      pkts: rng.intBetween(8, 11),
      bytes: srcBytes + rng.intBetween(400, 700),
      srcBytes,
    };
    return flow(
      us,
      "tcp",
      plan.ip,
      NEXT_PORT,
      DIR.out,
      peer,
      peerPort,
      "FSPA_FSPA",
      x,
      `${plan.prefix}-TCP-P2P`,
    );
  }
  const label = `${plan.prefix}-UDP-P2P`;
  const srcBytes = rng.intBetween(80, 96);
  if (rng.chance(0.04)) {
    const x = { dur: 0, pkts: 1, bytes: srcBytes, srcBytes };
    return flow(us, "udp", plan.ip, listenPort, DIR.out, peer, peerPort, "INT", x, label);
  }
  const x = { dur: rng.logNormal(0.08, 0.5), pkts: 2, bytes: srcBytes + rng.intBetween(80, 120), srcBytes };
  return flow(us, "udp", plan.ip, listenPort, DIR.both, peer, peerPort, "CON", x, label);
}
