/**
 * Captures to flows: pcap and pcapng files written here from simulated packets (a small writer below),
 * exact flow fields for TCP, UDP, ICMP, IPv6, VLAN and Linux cooked captures, damage counted without
 * losing other packets, idle timeouts, and the real ../shared/data capture when present.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ipv6 } from "../../src/ingest/capture/decode.ts";
import { type CaptureStats, readCaptureFlows } from "../../src/ingest/capture/index.ts";
import { type FlowReadStats, readFlows } from "../../src/ingest/flows/reader.ts";
import type { Flow } from "../../src/ingest/flows/record.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const dir = mkdtempSync(join(tmpdir(), "botscope-capture-"));
const REAL = resolve(root, "../shared/data/periodicity/test-cc-capture-1.pcap");

// ---- a small packet and capture writer ----

function be16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}
function v4(a: string): number[] {
  return a.split(".").map(Number);
}
function v6(a: string): number[] {
  const [h, t] = a.split("::");
  const hs = h ? h.split(":") : [];
  const ts = t !== undefined && t ? t.split(":") : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill("0"), ...ts];
  return groups.flatMap((g) => be16(Number.parseInt(g, 16)));
}
function tcp(sport: number, dport: number, flags: string, payload = 0): number[] {
  const bits = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 } as Record<string, number>;
  let f = 0;
  for (const c of flags) f |= bits[c];
  return [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, f, ...be16(65535), 0, 0, 0, 0].concat(
    Array(payload).fill(0x61),
  );
}
function udp(sport: number, dport: number, payload = 0): number[] {
  return [...be16(sport), ...be16(dport), ...be16(8 + payload), 0, 0].concat(Array(payload).fill(0x62));
}
function icmp(type: number, code: number, id: number, payload = 0): number[] {
  return [type, code, 0, 0, ...be16(id), 0, 1].concat(Array(payload).fill(0x63));
}
function ip4(
  src: string,
  dst: string,
  proto: number,
  l4: number[],
  o: { tos?: number; frag?: number } = {},
): number[] {
  return [
    0x45,
    o.tos ?? 0,
    ...be16(20 + l4.length),
    0,
    1,
    ...be16(o.frag ?? 0),
    64,
    proto,
    0,
    0,
    ...v4(src),
    ...v4(dst),
    ...l4,
  ];
}
function ip6(src: string, dst: string, next: number, l4: number[], ext: number[][] = []): number[] {
  // each extension header given as its bytes after the next-header byte; chained in order
  const nexts = ext.length ? [0, ...ext.slice(1).map(() => 60)] : [];
  let body: number[] = [];
  const chainNext = ext.length ? nexts[0] : next;
  ext.forEach((e, i) => {
    body = body.concat([i + 1 < ext.length ? 60 : next, ...e]);
  });
  body = body.concat(l4);
  return [0x60, 0, 0, 0, ...be16(body.length), chainNext, 64, ...v6(src), ...v6(dst), ...body];
}
const MAC = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
function eth(ip: number[], vlan?: number): number[] {
  const type = ip[0] >> 4 === 6 ? 0x86dd : 0x0800;
  return vlan === undefined
    ? [...MAC, ...be16(type), ...ip]
    : [...MAC, 0x81, 0, ...be16(vlan), ...be16(type), ...ip];
}
function sll(ip: number[]): number[] {
  return [0, 0, 0, 1, 0, 6, ...MAC.slice(0, 6), 0, 0, ...be16(ip[0] >> 4 === 6 ? 0x86dd : 0x0800), ...ip];
}
function sll2(ip: number[]): number[] {
  return [
    ...be16(ip[0] >> 4 === 6 ? 0x86dd : 0x0800),
    0,
    0,
    0,
    0,
    0,
    2,
    0,
    1,
    0,
    6,
    ...MAC.slice(0, 6),
    0,
    0,
    ...ip,
  ];
}

interface Pkt {
  ts: number;
  data: number[];
  /** Bytes captured (default all). */
  caplen?: number;
  iface?: number;
}

function u32(n: number, big: boolean): number[] {
  const b = Buffer.alloc(4);
  if (big) b.writeUInt32BE(n >>> 0);
  else b.writeUInt32LE(n >>> 0);
  return [...b];
}
function u16(n: number, big: boolean): number[] {
  return big ? be16(n) : be16(n).reverse();
}

function pcap(pkts: Pkt[], o: { big?: boolean; nano?: boolean; link?: number } = {}): Buffer {
  const big = o.big ?? false;
  const out: number[] = [...u32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4, big), ...u16(2, big), ...u16(4, big)];
  out.push(...u32(0, big), ...u32(0, big), ...u32(65535, big), ...u32(o.link ?? 1, big));
  for (const p of pkts) {
    const sec = Math.floor(p.ts);
    const frac = Math.round((p.ts - sec) * (o.nano ? 1e9 : 1e6));
    const cap = p.caplen ?? p.data.length;
    out.push(...u32(sec, big), ...u32(frac, big), ...u32(cap, big), ...u32(p.data.length, big));
    out.push(...p.data.slice(0, cap));
  }
  return Buffer.from(out);
}

function block(type: number, body: number[], big: boolean): number[] {
  while (body.length % 4) body.push(0);
  const len = body.length + 12;
  return [...u32(type, big), ...u32(len, big), ...body, ...u32(len, big)];
}

/** pcapng with one section; `ifaces` the link type and if_tsresol (decimal exponent) of each interface. */
function pcapng(pkts: Pkt[], ifaces: { link: number; tsresol?: number }[], big = false): Buffer {
  const out: number[] = block(
    0x0a0d0d0a,
    [...u32(0x1a2b3c4d, big), ...u16(1, big), ...u16(0, big), ...Array(8).fill(0xff)],
    big,
  );
  for (const i of ifaces) {
    const opts = i.tsresol === undefined ? [] : [...u16(9, big), ...u16(1, big), i.tsresol, 0, 0, 0];
    out.push(...block(1, [...u16(i.link, big), 0, 0, ...u32(0, big), ...opts, 0, 0, 0, 0], big));
  }
  // a name resolution block, skipped
  out.push(...block(4, [0, 0, 0, 0], big));
  for (const p of pkts) {
    const iface = p.iface ?? 0;
    const per = 10 ** (ifaces[iface].tsresol ?? 6);
    const units = (BigInt(Math.round(p.ts * 1e6)) * BigInt(per)) / 1000000n;
    const hi = Number(units >> 32n);
    const lo = Number(units & 0xffffffffn);
    const cap = p.caplen ?? p.data.length;
    out.push(
      ...block(
        6,
        [
          ...u32(iface, big),
          ...u32(hi, big),
          ...u32(lo, big),
          ...u32(cap, big),
          ...u32(p.data.length, big),
          ...p.data.slice(0, cap),
        ],
        big,
      ),
    );
  }
  return Buffer.from(out);
}

let n = 0;
function write(buf: Buffer, ext = "pcap"): string {
  const f = join(dir, `c${n++}.${ext}`);
  writeFileSync(f, buf);
  return f;
}

async function flowsOf(file: string, opts = {}): Promise<{ flows: Flow[]; stats: CaptureStats }> {
  const flows: Flow[] = [];
  const stats = await readCaptureFlows(file, opts, (f) => flows.push(f));
  return { flows, stats };
}

const T0 = 1700000000;
const C = "10.0.0.1";
const S = "10.0.0.2";

/** Handshake, data both ways, FIN exchange: 5 packets from the client, 3 from the server. */
function tcpSession(t0 = T0, wrap: (ip: number[]) => number[] = (ip) => eth(ip)): Pkt[] {
  const c = (dt: number, flags: string, len = 0) => ({
    ts: t0 + dt,
    data: wrap(ip4(C, S, 6, tcp(40000, 80, flags, len))),
  });
  const s = (dt: number, flags: string, len = 0) => ({
    ts: t0 + dt,
    data: wrap(ip4(S, C, 6, tcp(80, 40000, flags, len))),
  });
  return [
    c(0, "S"),
    s(0.01, "SA"),
    c(0.02, "A"),
    c(0.03, "PA", 100),
    s(0.05, "PA", 200),
    c(0.06, "FA"),
    s(0.07, "FA"),
    c(0.08, "A"),
  ];
}

/** Equal within `tol` (epoch-second doubles hold about 0.2 us: milliseconds differ in the 4th place). */
function close(a: number, b: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} != ${b}`);
}

function checkTcp(f: Flow, hdr = 14, t0 = T0): void {
  close(f.start, t0, "start");
  close(f.duration, 0.08, "duration");
  const { start: _s, duration: _d, extra, ...rest } = f;
  assert.deepEqual(rest, {
    proto: "tcp",
    srcAddr: C,
    srcPort: 40000,
    dir: "->",
    dstAddr: S,
    dstPort: 80,
    state: "FSPA_FSPA",
    sTos: 0,
    dTos: 0,
    totPkts: 8,
    totBytes: 8 * (hdr + 40) + 300,
    srcBytes: 5 * (hdr + 40) + 100,
    srcPkts: 5,
    dstPkts: 3,
    label: null,
  });
  assert.ok(extra);
  assert.equal(extra.DstBytes, 3 * (hdr + 40) + 200);
  assert.equal(extra.sMinPktSz, hdr + 40);
  assert.equal(extra.sMaxPktSz, hdr + 140);
  assert.equal(extra.dMaxPktSz, hdr + 240);
  close(extra.SIntPkt, 20, "SIntPkt", 1e-3);
  close(extra.SIntPktMin, 10, "SIntPktMin", 1e-3);
  close(extra.SIntPktMax, 30, "SIntPktMax", 1e-3);
  close(extra.DIntPkt, 30, "DIntPkt", 1e-3);
  close(extra.DIntPktMin, 20, "DIntPktMin", 1e-3);
  close(extra.DIntPktMax, 40, "DIntPktMax", 1e-3);
}

describe("capture to flows", () => {
  it("a TCP conversation: exact Argus-like fields", async () => {
    const { flows, stats } = await flowsOf(write(pcap(tcpSession())));
    assert.equal(flows.length, 1);
    checkTcp(flows[0]);
    assert.equal(stats.packets, 8);
    assert.equal(stats.format, "pcap");
  });

  it("both pcap byte orders, nanosecond pcap and pcapng give the same flow", async () => {
    for (const buf of [
      pcap(tcpSession(), { big: true }),
      pcap(tcpSession(), { nano: true }),
      pcap(tcpSession(), { big: true, nano: true }),
      pcapng(tcpSession(), [{ link: 1 }]),
      pcapng(tcpSession(), [{ link: 1, tsresol: 9 }], true),
    ]) {
      const { flows } = await flowsOf(write(buf));
      assert.equal(flows.length, 1);
      checkTcp(flows[0]);
    }
  });

  it("pcapng with two interfaces of different link types", async () => {
    const a = tcpSession(T0);
    const b = tcpSession(T0 + 1, sll).map((p) => ({ ...p, iface: 1 }));
    const { flows } = await flowsOf(
      write(
        pcapng(
          [...a, ...b].sort((x, y) => x.ts - y.ts),
          [
            { link: 1, tsresol: 3 + 3 },
            { link: 113, tsresol: 9 },
          ],
        ),
      ),
    );
    // same 5-tuple 1 s later: a SYN after the FIN exchange is a new connection, as in Argus
    assert.equal(flows.length, 2);
    checkTcp(flows[0], 14, T0);
    checkTcp(flows[1], 16, T0 + 1);
  });

  it("refused and unanswered TCP, a UDP pair, a one-way UDP packet, ICMP echo", async () => {
    const pkts: Pkt[] = [
      { ts: T0, data: eth(ip4(C, S, 6, tcp(40001, 22, "S"))) },
      { ts: T0 + 0.001, data: eth(ip4(S, C, 6, tcp(22, 40001, "RA"))) },
      { ts: T0 + 0.002, data: eth(ip4(C, S, 6, tcp(40002, 23, "S"))) },
      { ts: T0 + 0.003, data: eth(ip4(C, "8.8.8.8", 17, udp(5353, 53, 30), { tos: 16 })) },
      { ts: T0 + 0.013, data: eth(ip4("8.8.8.8", C, 17, udp(53, 5353, 60))) },
      { ts: T0 + 0.02, data: eth(ip4(C, "9.9.9.9", 17, udp(5354, 123, 48))) },
      { ts: T0 + 0.03, data: eth(ip4(C, S, 1, icmp(8, 0, 0x1234, 56))) },
      { ts: T0 + 0.031, data: eth(ip4(S, C, 1, icmp(0, 0, 0x1234, 56))) },
      { ts: T0 + 0.04, data: eth(ip4(S, C, 1, icmp(3, 3, 0, 28))) },
    ];
    const { flows } = await flowsOf(write(pcap(pkts)));
    const brief = flows.map((f) => [
      f.proto,
      f.srcAddr,
      f.srcPort,
      f.dir,
      f.dstAddr,
      f.dstPort,
      f.state,
      f.totPkts,
      f.totBytes,
      f.srcBytes,
      f.sTos,
      f.dTos,
    ]);
    assert.deepEqual(brief, [
      ["tcp", C, 40001, "->", S, 22, "S_RA", 2, 108, 54, 0, 0],
      ["tcp", C, 40002, "->", S, 23, "S_", 1, 54, 54, 0, null],
      ["udp", C, 5353, "<->", "8.8.8.8", 53, "CON", 2, 14 + 28 + 30 + 14 + 28 + 60, 72, 16, 0],
      ["udp", C, 5354, "->", "9.9.9.9", 123, "INT", 1, 90, 90, 0, null],
      ["icmp", C, 8, "<->", S, 0x1234, "ECO", 2, 2 * (14 + 28 + 56), 98, 0, 0],
      // the quoted header is filler here: no refused port to tell
      ["icmp", S, 0x0303, "->", C, 0, "URP", 1, 14 + 28 + 28, 70, 0, null],
    ]);
    assert.deepEqual(
      flows.map((f) => f.start - T0).map((x) => Math.round(x * 1000)),
      [0, 2, 3, 20, 30, 40],
    );
  });

  it("IPv6 with extension headers, ICMPv6 echo, VLAN tags, Linux cooked SLL and SLL2, raw IP", async () => {
    const a = "2001:db8::1";
    const b = "2001:db8::2";
    const v6pkts: Pkt[] = [
      { ts: T0, data: eth(ip6(a, b, 17, udp(1000, 53, 10), [[0, 1, 4, 0, 0, 0, 0]])) },
      { ts: T0 + 0.5, data: eth(ip6(b, a, 17, udp(53, 1000, 20))) },
      { ts: T0 + 1, data: eth(ip6(a, b, 58, icmp(128, 0, 7, 8))) },
      { ts: T0 + 1.1, data: eth(ip6(b, a, 58, icmp(129, 0, 7, 8))) },
    ];
    const v = await flowsOf(write(pcap(v6pkts)));
    assert.deepEqual(
      v.flows.map((f) => [
        f.proto,
        f.srcAddr,
        f.srcPort,
        f.dir,
        f.dstAddr,
        f.dstPort,
        f.state,
        f.totPkts,
        f.srcBytes,
      ]),
      [
        ["udp", a, 1000, "<->", b, 53, "CON", 2, 14 + 40 + 8 + 18],
        ["ipv6-icmp", a, 128, "<->", b, 0, "ECO", 2, 14 + 40 + 16],
      ],
    );
    const vlan = await flowsOf(write(pcap(tcpSession(T0, (ip) => eth(ip, 42)))));
    checkTcp(vlan.flows[0], 18);
    const cooked = await flowsOf(write(pcap(tcpSession(T0, sll), { link: 113 })));
    checkTcp(cooked.flows[0], 16);
    const cooked2 = await flowsOf(write(pcap(tcpSession(T0, sll2), { link: 276 })));
    checkTcp(cooked2.flows[0], 20);
    const raw = await flowsOf(
      write(
        pcap(
          tcpSession(T0, (ip) => ip),
          { link: 101 },
        ),
      ),
    );
    checkTcp(raw.flows[0], 0);
    assert.equal(ipv6(Uint8Array.from(v6("2001:db8:0:0:1:0:0:1")), 0), "2001:db8::1:0:0:1");
  });

  it("fragments, truncated packets, garbage and unknown link types are counted, other packets kept", async () => {
    const session = tcpSession();
    const frag: Pkt = { ts: T0 + 0.035, data: eth(ip4(C, S, 17, [1, 2, 3, 4, 5, 6, 7, 8], { frag: 100 })) };
    const short: Pkt = { ts: T0 + 0.036, data: eth(ip4(C, S, 6, tcp(1, 2, "S"))), caplen: 30 };
    const arp: Pkt = { ts: T0 + 0.037, data: [...MAC, 0x08, 0x06, ...Array(28).fill(0)] };
    const pkts = [...session.slice(0, 4), frag, short, arp, ...session.slice(4)];
    const clean = pcap(pkts);
    // garbage after the 5th record (24-byte header, records of 16 + length) and at the end
    let at = 24;
    for (const p of pkts.slice(0, 5)) at += 16 + (p.caplen ?? p.data.length);
    const junk = Buffer.from(Array.from({ length: 37 }, (_, i) => (i * 97 + 13) & 255));
    const buf = Buffer.concat([
      clean.subarray(0, at),
      junk,
      clean.subarray(at),
      Buffer.from([1, 2, 3, 4, 5, 6, 7]),
    ]);
    const { flows, stats } = await flowsOf(write(buf));
    // a later fragment whose first fragment was not seen is a flow of its own without ports, as in Argus
    assert.equal(flows.length, 2);
    checkTcp(flows[0]);
    assert.deepEqual(
      [flows[1].proto, flows[1].srcPort, flows[1].dstPort, flows[1].totPkts, flows[1].totBytes],
      ["udp", 0, 0, 1, 14 + 28],
    );
    assert.equal(stats.fragments, 1);
    assert.equal(stats.truncated, 1);
    assert.equal(stats.nonIp, 1);
    assert.equal(stats.garbageRuns, 1);
    assert.ok(stats.garbageBytes >= 37, String(stats.garbageBytes));
    assert.equal(stats.truncatedRecords, 1);
    const unknown = await flowsOf(write(pcap(session, { link: 147 })));
    assert.equal(unknown.flows.length, 0);
    assert.equal(unknown.stats.unknownLink, 8);
    assert.deepEqual(unknown.stats.unknownLinkTypes, [147]);
    // pcapng: a damaged block in the middle
    const ng = pcapng(session, [{ link: 1 }]);
    const cut = ng.length - 3 * (32 + 56); // somewhere before the last packets
    const ngBad = Buffer.concat([ng.subarray(0, cut - (cut % 4)), junk, ng.subarray(cut - (cut % 4))]);
    const r = await flowsOf(write(ngBad));
    assert.ok(r.stats.garbageBytes > 0);
    assert.equal(r.stats.garbageRuns, 1);
    assert.equal(r.stats.truncatedRecords, 0);
    assert.equal(r.flows.length, 1);
    checkTcp(r.flows[0]);
  });

  it("idle timeout splits a flow, flows come out in start order, active timeout cuts long flows", async () => {
    const u = (dt: number, sp: number) => ({ ts: T0 + dt, data: eth(ip4(C, S, 17, udp(sp, 53, 1))) });
    const pkts = [u(0, 1000), u(1, 2000), u(30, 1000), u(95, 1000), u(100, 3000), u(200, 2000)];
    const { flows } = await flowsOf(write(pcap(pkts)), { idleTimeout: 60 });
    assert.deepEqual(
      flows.map((f) => [f.start - T0, f.srcPort, f.totPkts]),
      [
        [0, 1000, 2],
        [1, 2000, 1],
        [95, 1000, 1],
        [100, 3000, 1],
        [200, 2000, 1],
      ],
    );
    const long = Array.from({ length: 40 }, (_, i) => u(i * 10, 7));
    const cut = await flowsOf(write(pcap(long)), { idleTimeout: 60, activeTimeout: 100 });
    assert.deepEqual(
      cut.flows.map((f) => [f.start - T0, f.totPkts]),
      [
        [0, 10],
        [100, 10],
        [200, 10],
        [300, 10],
      ],
    );
  });

  it("readFlows detects captures by their magic bytes (format pcap) next to text files", async () => {
    const cap = write(pcapng(tcpSession(), [{ link: 1 }]), "pcapng");
    const text = join(dir, "flows.binetflow");
    writeFileSync(
      text,
      "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n" +
        "2011/08/10 09:46:53.047277,0.1,udp,10.0.0.9,53,   ->,10.0.0.8,53,INT,0,,1,60,60,flow=Background\n",
    );
    const flows: Flow[] = [];
    const stats: FlowReadStats = await readFlows([cap, text], {}, (f) => flows.push(f));
    assert.equal(stats.format, "pcap+binetflow");
    assert.equal(stats.flows, 2);
    checkTcp(flows[0]);
    assert.equal(stats.captures?.[cap]?.packets, 8);
    await assert.rejects(
      readFlows([text], { format: "pcap" }, () => {}),
      /not a pcap/,
    );
  });

  it("flows convert: a capture to binetflow (read back by readFlows) and to JSON lines", async () => {
    const cap = write(pcap(tcpSession()));
    const bin = join(dir, "out.binetflow");
    const json = join(dir, "out.jsonl");
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "test/flows/cli-driver.ts"),
        JSON.stringify([
          ["flows", "convert", cap, "--to", "binetflow", "--out", bin],
          ["flows", "convert", cap, "--to", "json", "--out", json, "--idle-timeout", "30"],
        ]),
      ],
      { cwd: root, encoding: "utf8" },
    );
    const runs = JSON.parse(r.stdout) as { code: number; out: string; err: string }[];
    assert.deepEqual(
      runs.map((x) => x.code),
      [0, 0],
      r.stdout + r.stderr,
    );
    assert.match(runs[0].out, /wrote 1 flows \(input format pcap\)/);
    const back: Flow[] = [];
    const stats = await readFlows([bin], {}, (f) => back.push({ ...f, extra: null }));
    assert.equal(stats.format, "binetflow");
    assert.equal(stats.bad.total, 0);
    const { flows } = await flowsOf(cap);
    const core = (f: Flow) => ({
      ...f,
      start: Math.round(f.start * 1e6),
      duration: Math.round(f.duration * 1e6),
      extra: null,
      srcPkts: null,
      dstPkts: null,
    });
    assert.deepEqual(back.map(core), flows.map(core));
    const lines = readFileSync(json, "utf8").trim().split("\n");
    assert.equal(lines.length, 1);
    checkTcp(JSON.parse(lines[0]) as Flow);
  });

  it("the real capture test-cc-capture-1.pcap: ~299 TCP connections to 141.193.213.21", {
    skip: existsSync(REAL) ? false : `${REAL} is absent`,
  }, async () => {
    const { flows, stats } = await flowsOf(REAL);
    const cc = flows.filter(
      (f) => f.proto === "tcp" && (f.dstAddr === "141.193.213.21" || f.srcAddr === "141.193.213.21"),
    );
    console.log(
      `# ${stats.packets} packets, ${flows.length} flows, ${cc.length} TCP flows with 141.193.213.21, ${stats.truncated} truncated, ${stats.fragments} fragments`,
    );
    assert.ok(cc.length >= 280 && cc.length <= 320, `${cc.length} TCP flows`);
    for (let i = 1; i < flows.length; i++) assert.ok(flows[i].start >= flows[i - 1].start, "start order");
  });
});
