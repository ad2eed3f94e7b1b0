/** Labelled normal hosts: office users browsing in bursts, resolving names, syncing clocks. */
import type { Rng } from "../core/random.ts";
import { DIR } from "./flows-format.ts";
import type { SimContext } from "./flows-util.ts";
import {
  daytimeWeight,
  dnsExchange,
  ephemeralPort,
  established,
  flow,
  poissonTimes,
  US,
  udpExchange,
  webFlow,
  Zipf,
} from "./flows-util.ts";

export interface NormalHost {
  ip: string;
  name: string;
}

export interface InternetServices {
  web: readonly string[];
  ntp: readonly string[];
  chat: readonly string[];
}

export function simulateNormalHost(ctx: SimContext, rng: Rng, host: NormalHost, net: InternetServices): void {
  const label = `From-Normal-V${ctx.version}-${host.name}`;
  const sites = new Zipf(rng.sample(net.web, rng.intBetween(40, 120)), 1.05);
  const sessionsPerHour = rng.logNormal(22, 0.35);
  for (const t of poissonTimes(rng, ctx.startUs, ctx.endUs, sessionsPerHour, daytimeWeight)) {
    browse(ctx, rng, host.ip, sites, t, label);
  }
  // Clock sync is irregular enough (exponential gaps) not to look like a keep-alive.
  const ntpServer = rng.pick(net.ntp);
  for (const t of poissonTimes(rng, ctx.startUs, ctx.endUs, 3)) {
    const x = udpExchange(rng, 90, 90, 90, 90);
    ctx.sink.add(flow(t, "udp", host.ip, ephemeralPort(rng), DIR.both, ntpServer, 123, "CON", x, label));
  }
  longLivedSessions(ctx, rng, host.ip, net, label);
}

/** A page visit: a few sites, each looked up (unless cached) and fetched over several connections. */
function browse(ctx: SimContext, rng: Rng, ip: string, sites: Zipf<string>, t0: number, label: string): void {
  let t = t0;
  const siteCount = rng.geometric(2.2);
  for (let i = 0; i < siteCount; i++) {
    const server = sites.pick(rng);
    if (rng.chance(0.65)) {
      const dns = dnsExchange(rng);
      ctx.sink.add(flow(t, "udp", ip, ephemeralPort(rng), DIR.both, ctx.resolver, 53, "CON", dns, label));
      t += dns.dur * US + rng.uniform(200, 3000);
    }
    const port = rng.chance(0.7) ? 443 : 80;
    const connections = rng.geometric(3.5);
    let c = t;
    for (let j = 0; j < connections; j++) {
      ctx.sink.add(webFlow(rng, c, ip, server, port, label));
      c += rng.exponential(0.25 * US);
    }
    t += rng.exponential(4 * US);
  }
}

/** Mail and chat clients keep a connection open all day; Argus shows it with unknown direction. */
function longLivedSessions(
  ctx: SimContext,
  rng: Rng,
  ip: string,
  net: InternetServices,
  label: string,
): void {
  const count = rng.int(3);
  for (let i = 0; i < count; i++) {
    const t = ctx.startUs + rng.uniform(0, 120 * US);
    const x = established(rng, 60000, 200000, 3600);
    const dport = rng.pick([5222, 993, 443]);
    const state = rng.pick(["PA_PA", "PA_PA", "PA_A"]);
    ctx.sink.add(
      flow(t, "tcp", ip, ephemeralPort(rng), DIR.unsure, rng.pick(net.chat), dport, state, x, label),
    );
  }
}
