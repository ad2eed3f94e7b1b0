/**
 * Seeded flow scenarios for the periodicity tests, built from the simulator's pieces (keepAliveTimes,
 * Rng, poissonTimes, Zipf): keep-alive bots with jitter, drift and missed beats, human-like browsing,
 * NTP polls and DNS lookups, on one host or several. Flows are plain records in time order.
 */
import { randomPublicIpv4 } from "../../src/core/net.ts";
import { Rng } from "../../src/core/random.ts";
import { emptyFlow, type Flow } from "../../src/ingest/flows/record.ts";
import { keepAliveTimes } from "../../src/simulate/flows.ts";
import { daytimeWeight, poissonTimes, Zipf } from "../../src/simulate/flows-util.ts";

export const START_MS = Date.parse("2026-03-02T00:00:00Z");

export function flowOf(
  ms: number,
  src: string,
  dst: string,
  o: { proto?: string; sp?: number | null; dp?: number | null; bytes?: number } = {},
): Flow {
  const f = emptyFlow();
  f.start = ms / 1000;
  f.proto = o.proto ?? "udp";
  f.srcAddr = src;
  f.dstAddr = dst;
  f.srcPort = o.sp === undefined ? 40000 : o.sp;
  f.dstPort = o.dp === undefined ? 50000 : o.dp;
  f.dir = "->";
  f.srcBytes = o.bytes ?? 0;
  f.totBytes = o.bytes ?? 0;
  return f;
}

export interface BotSpec {
  host: string;
  peers: number;
  periodMs: number;
  jitterMs: number;
  driftPerPeriodMs?: number;
  missedBeatShare?: number;
}

export interface Scenario {
  flows: Flow[];
  peers: Map<string, string[]>;
  ntpServers: string[];
  resolver: string;
  humanServers: string[];
}

/** Keep-alive beats of a bot to each of its peers (each peer at its own phase), UDP with fixed ports. */
export function botFlows(
  rng: Rng,
  spec: BotSpec,
  startMs: number,
  endMs: number,
): { flows: Flow[]; peers: string[] } {
  const flows: Flow[] = [];
  const peers: string[] = [];
  const listen = rng.intBetween(10000, 60000);
  for (let i = 0; i < spec.peers; i++) {
    const peer = randomPublicIpv4(rng);
    peers.push(peer);
    const peerPort = rng.intBetween(1024, 65535);
    const times = keepAliveTimes(rng, {
      startMs: startMs + rng.uniform(0, spec.periodMs),
      endMs,
      periodMs: spec.periodMs,
      jitterMs: spec.jitterMs,
      driftPerPeriodMs: spec.driftPerPeriodMs ?? 0,
      missedBeatShare: spec.missedBeatShare ?? 0,
    });
    for (const t of times)
      flows.push(flowOf(t, spec.host, peer, { sp: listen, dp: peerPort, bytes: rng.intBetween(80, 96) }));
  }
  return { flows, peers };
}

/** Human browsing: Poisson sessions through the day, each a few HTTPS connections to Zipf-popular sites. */
export function humanFlows(
  rng: Rng,
  host: string,
  servers: string[],
  startMs: number,
  endMs: number,
  perHour = 20,
): Flow[] {
  const sites = new Zipf(servers, 1.05);
  const out: Flow[] = [];
  for (const us of poissonTimes(rng, startMs * 1000, endMs * 1000, perHour, daytimeWeight)) {
    let t = us / 1000;
    const server = sites.pick(rng);
    for (let c = rng.geometric(3); c > 0; c--) {
      out.push(
        flowOf(t, host, server, {
          proto: "tcp",
          sp: rng.intBetween(32768, 60999),
          dp: 443,
          bytes: Math.round(rng.logNormal(900, 1)),
        }),
      );
      t += rng.exponential(4000);
    }
  }
  return out;
}

/** NTP: a fixed poll interval to each server (very regular by design). */
export function ntpFlows(
  rng: Rng,
  host: string,
  servers: string[],
  startMs: number,
  endMs: number,
  pollMs = 1_024_000,
): Flow[] {
  const out: Flow[] = [];
  for (const s of servers) {
    for (let t = startMs + rng.uniform(0, pollMs); t < endMs; t += pollMs + rng.normal(0, 5))
      out.push(flowOf(t, host, s, { sp: 123, dp: 123, bytes: 90 }));
  }
  return out;
}

/** DNS: a lookup to the resolver every `everyMs` (a monitoring agent), from ephemeral ports. */
export function dnsFlows(
  rng: Rng,
  host: string,
  resolver: string,
  startMs: number,
  endMs: number,
  everyMs = 300_000,
): Flow[] {
  const out: Flow[] = [];
  for (let t = startMs + rng.uniform(0, everyMs); t < endMs; t += everyMs + rng.normal(0, 50))
    out.push(flowOf(t, host, resolver, { sp: rng.intBetween(32768, 60999), dp: 53, bytes: 70 }));
  return out;
}

/**
 * One infected host with keep-alive peers plus human browsing, NTP and DNS on the same host, and a few
 * human-only neighbours.
 */
export function mixedHostScenario(
  seed: number,
  bot: Omit<BotSpec, "host">,
  hours = 24,
  humans = 3,
): Scenario {
  const rng = new Rng(seed);
  const start = START_MS;
  const end = start + hours * 3_600_000;
  const host = "10.20.0.5";
  const ntpServers = Array.from({ length: 4 }, () => randomPublicIpv4(rng));
  const resolver = "10.20.0.2";
  const humanServers = Array.from({ length: 60 }, () => randomPublicIpv4(rng));
  const b = botFlows(rng.fork("bot"), { ...bot, host }, start, end);
  const flows = [
    ...b.flows,
    ...humanFlows(rng.fork("human"), host, humanServers, start, end),
    ...ntpFlows(rng.fork("ntp"), host, ntpServers, start, end),
    ...dnsFlows(rng.fork("dns"), host, resolver, start, end),
  ];
  for (let i = 0; i < humans; i++) {
    const other = `10.20.1.${10 + i}`;
    flows.push(...humanFlows(rng.fork(`h${i}`), other, humanServers, start, end, 30));
    flows.push(...ntpFlows(rng.fork(`n${i}`), other, ntpServers.slice(0, 2), start, end));
  }
  flows.sort((a, c) => a.start - c.start);
  return { flows, peers: new Map([[host, b.peers]]), ntpServers, resolver, humanServers };
}
