/**
 * Background: the rest of the network that CTU-13 leaves unlabelled. Other internal hosts browse,
 * resolve names and share files; the Internet scans the address space. Never touches labelled hosts.
 */
import { randomPublicIpv4 } from "../core/net.ts";
import type { Rng } from "../core/random.ts";
import type { FlowRecord } from "./flows-format.ts";
import { DIR, hexPort } from "./flows-format.ts";
import type { InternetServices } from "./flows-normal.ts";
import type { SimContext } from "./flows-util.ts";
import {
  dnsExchange,
  ephemeralPort,
  established,
  flow,
  poissonTimes,
  randomInternal,
  resetAttempt,
  synAttempt,
  udpExchange,
  webFlow,
  Zipf,
} from "./flows-util.ts";

interface BackgroundNet {
  ctx: SimContext;
  rng: Rng;
  clients: string[];
  /** Labelled hosts: the Internet's probes in the background never hit them. */
  avoid: ReadonlySet<string>;
  sites: Zipf<string>;
  net: InternetServices;
  /** A file-sharing host with a fixed UDP port and a crowd of peers (like 147.32.84.229:13363). */
  sharer: { ip: string; port: number };
  webServer: string;
  scanners: string[];
}

type Generator = (b: BackgroundNet, us: number) => FlowRecord;

const SCAN_PORTS = [22, 23, 80, 135, 139, 443, 445, 1433, 3128, 3389, 5900, 8080];

export function simulateBackground(
  ctx: SimContext,
  rng: Rng,
  flowsPerMinute: number,
  net: InternetServices,
): void {
  const b = setUp(ctx, rng, net);
  const kinds = GENERATORS.map((g) => g[1]);
  const weights = GENERATORS.map((g) => g[0]);
  for (const t of poissonTimes(rng, ctx.startUs, ctx.endUs, flowsPerMinute * 60)) {
    ctx.sink.add(rng.weighted(kinds, weights)(b, t));
  }
}

function setUp(ctx: SimContext, rng: Rng, net: InternetServices): BackgroundNet {
  const taken = new Set([...ctx.labelled, ctx.resolver]);
  const size = 2 ** (32 - ctx.internal.bits);
  const clients: string[] = [];
  const clientCount = Math.max(3, Math.min(150, Math.floor(size / 8)));
  for (let i = 0; i < clientCount; i++) {
    const ip = randomInternal(rng, ctx.internal, taken);
    taken.add(ip);
    clients.push(ip);
  }
  const scanners: string[] = [];
  for (let i = 0; i < 40; i++) scanners.push(randomPublicIpv4(rng));
  return {
    ctx,
    rng,
    clients,
    avoid: ctx.labelled,
    sites: new Zipf(net.web, 0.9),
    net,
    sharer: { ip: clients[0], port: rng.intBetween(10000, 30000) },
    webServer: clients[1],
    scanners,
  };
}

function client(b: BackgroundNet): string {
  // Skip the sharer and the web server: they have traffic of their own.
  return b.clients[2 + b.rng.int(b.clients.length - 2)];
}

/** One of the few Internet hosts that keep probing the network. */
function outsider(b: BackgroundNet): string {
  return b.rng.pick(b.scanners);
}

const sharerUdp: Generator = (b, us) => {
  const { rng, sharer } = b;
  const peer = randomPublicIpv4(rng);
  const long = rng.chance(0.35);
  const x = udpExchange(rng, 60, 180, 60, 400);
  if (long) {
    x.dur = rng.logNormal(400, 1.5);
    x.pkts = rng.intBetween(3, 200);
    x.bytes = x.pkts * rng.intBetween(80, 300);
    x.srcBytes = Math.round(x.bytes * rng.uniform(0.3, 0.7));
  }
  const label = "Background-UDP-Established";
  const peerPort = rng.intBetween(1024, 65535);
  if (rng.chance(0.5))
    return flow(us, "udp", peer, peerPort, DIR.both, sharer.ip, sharer.port, "CON", x, label);
  return flow(us, "udp", sharer.ip, sharer.port, DIR.both, peer, peerPort, "CON", x, label);
};

const clientDns: Generator = (b, us) =>
  flow(
    us,
    "udp",
    client(b),
    ephemeralPort(b.rng),
    DIR.both,
    b.ctx.resolver,
    53,
    "CON",
    dnsExchange(b.rng),
    "To-Background-UDP-DNS-Server",
  );

const clientWeb: Generator = (b, us) => {
  const port = b.rng.chance(0.7) ? 443 : 80;
  return webFlow(b.rng, us, client(b), b.sites.pick(b.rng), port, "Background-TCP-Established");
};

const inboundTcpAttempt: Generator = (b, us) => {
  const { rng } = b;
  const dst = randomInternal(rng, b.ctx.internal, b.avoid);
  const dport = rng.chance(0.7) ? rng.pick(SCAN_PORTS) : rng.intBetween(1, 65535);
  const src = outsider(b);
  if (rng.chance(0.2)) {
    return flow(
      us,
      "tcp",
      src,
      ephemeralPort(rng),
      DIR.outUnsure,
      dst,
      dport,
      "RA_",
      resetAttempt(rng),
      "Background",
    );
  }
  return flow(
    us,
    "tcp",
    src,
    ephemeralPort(rng),
    DIR.out,
    dst,
    dport,
    "S_",
    synAttempt(rng),
    "Background-TCP-Attempt",
  );
};

const inboundUdpAttempt: Generator = (b, us) => {
  const { rng } = b;
  const dst = randomInternal(rng, b.ctx.internal, b.avoid);
  const pkts = rng.geometric(1.5);
  const size = rng.intBetween(60, 400);
  const x = { dur: pkts === 1 ? 0 : rng.logNormal(5, 1.5), pkts, bytes: pkts * size, srcBytes: pkts * size };
  const dport = rng.chance(0.5)
    ? rng.pick([53, 123, 137, 161, 1434, 1900, 5060])
    : rng.intBetween(1024, 65535);
  return flow(
    us,
    "udp",
    randomPublicIpv4(rng),
    ephemeralPort(rng),
    DIR.out,
    dst,
    dport,
    "INT",
    x,
    "Background-UDP-Attempt",
  );
};

const icmp: Generator = (b, us) => {
  const { rng } = b;
  if (rng.chance(0.5)) {
    const dst = randomInternal(rng, b.ctx.internal, b.avoid);
    const x = { dur: 0, pkts: 1, bytes: 60, srcBytes: 60 };
    return flow(
      us,
      "icmp",
      outsider(b),
      hexPort(8),
      DIR.out,
      dst,
      hexPort(rng.int(65536)),
      "ECO",
      x,
      "Background",
    );
  }
  // Port unreachable sent back by an internal host for a stray UDP packet.
  const pkts = rng.geometric(1.3);
  const x = { dur: pkts === 1 ? 0 : rng.logNormal(20, 1.5), pkts, bytes: pkts * 141, srcBytes: pkts * 141 };
  const src = client(b);
  return flow(
    us,
    "icmp",
    src,
    hexPort(0x0303),
    DIR.out,
    randomPublicIpv4(rng),
    hexPort(rng.int(65536)),
    "URP",
    x,
    "Background",
  );
};

const clientNtp: Generator = (b, us) => {
  const x = udpExchange(b.rng, 90, 90, 90, 90);
  const server = b.rng.pick(b.net.ntp);
  return flow(us, "udp", client(b), 123, DIR.both, server, 123, "CON", x, "Background-UDP-NTP-Established-1");
};

const inboundWeb: Generator = (b, us) => {
  const { rng } = b;
  const x = established(rng, 600, 25000, 0.8);
  const state = rng.weighted(["FSPA_FSPA", "FSPA_FSRPA", "SPA_SPA", "FSA_FSA"], [70, 10, 10, 10]);
  const src = randomPublicIpv4(rng);
  return flow(
    us,
    "tcp",
    src,
    ephemeralPort(rng),
    DIR.out,
    b.webServer,
    rng.chance(0.6) ? 443 : 80,
    state,
    x,
    "To-Background-WebServer",
  );
};

const longTcp: Generator = (b, us) => {
  const { rng } = b;
  const x = established(rng, 20000, 300000, 1200);
  const state = rng.pick(["PA_PA", "PA_A", "FPA_FPA", "A_PA"]);
  const dport = rng.pick([443, 80, 5222, 993, 1935, 8000]);
  return flow(
    us,
    "tcp",
    client(b),
    ephemeralPort(rng),
    DIR.unsure,
    b.sites.pick(rng),
    dport,
    state,
    x,
    "Background",
  );
};

const arp: Generator = (b, us) => {
  const { rng } = b;
  const answered = rng.chance(0.4);
  const pkts = rng.geometric(answered ? 6 : 3);
  const x = {
    dur: pkts === 1 ? 0 : rng.logNormal(600, 1.2),
    pkts,
    bytes: pkts * 60,
    srcBytes: answered ? Math.ceil(pkts / 2) * 60 : pkts * 60,
  };
  return flow(us, "arp", client(b), "", DIR.who, client(b), "", answered ? "CON" : "INT", x, "Background");
};

const GENERATORS: [number, Generator][] = [
  [30, sharerUdp],
  [24, clientDns],
  [18, clientWeb],
  [8, inboundTcpAttempt],
  [6, inboundUdpAttempt],
  [4, icmp],
  [3, inboundWeb],
  [2, clientNtp],
  [4, longTcp],
  [1, arp],
];
