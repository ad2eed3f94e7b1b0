/**
 * Test helpers for the collector: a pcap of known traffic (TCP, UDP, ICMP over IPv4 and IPv6) with the
 * flows an exporter must report, pcaps of UDP export datagrams, free UDP ports, and softflowd run on a
 * capture (softflowd 1.1 reading a file waits on its control socket between reads: softflowctl is
 * poked until it has read everything and exported all flows at the end of the file).
 */
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { addressBytes } from "../../src/ingest/netflow/encode.ts";

export const hasSoftflowd = spawnSync("softflowd", ["-h"]).error === undefined;
export const hasNfcapd = spawnSync("nfcapd", ["-V"]).error === undefined;

/** One direction of a connection as softflowd reports it (times: the connection's). */
export interface ExpectedFlow {
  start: number;
  end: number;
  proto: string;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  packets: number;
  bytes: number;
}

interface Packet {
  t: number;
  src: string;
  dst: string;
  proto: number;
  l4: number[];
}

function be16(n: number): number[] {
  return [(n >> 8) & 255, n & 255];
}

function ipPacket(p: Packet): number[] {
  const src = [...addressBytes(p.src)];
  const dst = [...addressBytes(p.dst)];
  if (src.length === 16) return [0x60, 0, 0, 0, ...be16(p.l4.length), p.proto, 64, ...src, ...dst, ...p.l4];
  return [0x45, 0, ...be16(20 + p.l4.length), 0, 1, 0, 0, 64, p.proto, 0, 0, ...src, ...dst, ...p.l4];
}

/** A classic pcap of IP packets: Ethernet frames, or raw IPv4/IPv6 (LINKTYPE_RAW) with `raw`. */
export function pcapBytes(frames: { t: number; bytes: number[] }[], linkType = 1): Buffer {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linkType, 20);
  parts.push(h);
  for (const f of frames) {
    const r = Buffer.alloc(16);
    const sec = Math.floor(f.t);
    r.writeUInt32LE(sec, 0);
    r.writeUInt32LE(Math.round((f.t - sec) * 1e6), 4);
    r.writeUInt32LE(f.bytes.length, 8);
    r.writeUInt32LE(f.bytes.length, 12);
    parts.push(r, Buffer.from(f.bytes));
  }
  return Buffer.concat(parts);
}

function ethernet(ip: number[]): number[] {
  return [...Array(12).fill(0), ...(ip[0] >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00]), ...ip];
}

/**
 * Writes a capture of `hosts` clients each making a TCP connection, a DNS query (IPv4), an ICMP echo
 * and, for every third, an IPv6 UDP exchange; returns the unidirectional flows in it.
 */
export function writeTrafficPcap(path: string, hosts = 12, t0 = 1700000000): ExpectedFlow[] {
  const packets: Packet[] = [];
  for (let i = 0; i < hosts; i++) {
    const c = `10.1.${i >> 8}.${(i % 250) + 1}`;
    const s = "192.0.2.80";
    const base = t0 + i * 7.25;
    const sport = 40000 + i;
    // SYN, SYN-ACK, ACK, request, response, FIN-ACK both ways
    const tcp = (flags: number, payload: number) => [
      ...Array(12).fill(0),
      0x50,
      flags,
      255,
      255,
      0,
      0,
      0,
      0,
      ...Array(payload).fill(0x61),
    ];
    const seg = (t: number, fwd: boolean, flags: number, payload: number) => {
      const l4 = tcp(flags, payload);
      const ports = fwd ? [...be16(sport), ...be16(80)] : [...be16(80), ...be16(sport)];
      l4.splice(0, 4, ...ports);
      packets.push({ t, src: fwd ? c : s, dst: fwd ? s : c, proto: 6, l4 });
    };
    seg(base, true, 0x02, 0);
    seg(base + 0.01, false, 0x12, 0);
    seg(base + 0.02, true, 0x10, 0);
    seg(base + 0.03, true, 0x18, 100 + i);
    seg(base + 0.25, false, 0x18, 1000 + 10 * i);
    seg(base + 0.3, true, 0x11, 0);
    seg(base + 0.31, false, 0x11, 0);
    const udp = (sp: number, dp: number, n: number) => [
      ...be16(sp),
      ...be16(dp),
      ...be16(8 + n),
      0,
      0,
      ...Array(n).fill(0x62),
    ];
    packets.push({ t: base + 1.5, src: c, dst: "198.51.100.53", proto: 17, l4: udp(50000 + i, 53, 30) });
    packets.push({ t: base + 1.52, src: "198.51.100.53", dst: c, proto: 17, l4: udp(53, 50000 + i, 90) });
    const echo = (type: number) => [type, 0, 0, 0, ...be16(i + 1), 0, 1, ...Array(16).fill(0x63)];
    packets.push({ t: base + 2, src: c, dst: "198.51.100.1", proto: 1, l4: echo(8) });
    packets.push({ t: base + 2.01, src: "198.51.100.1", dst: c, proto: 1, l4: echo(0) });
    if (i % 3 === 0) {
      const c6 = `2001:db8:1::${(i + 1).toString(16)}`;
      packets.push({ t: base + 3, src: c6, dst: "2001:db8:53::1", proto: 17, l4: udp(51000 + i, 53, 40) });
      packets.push({
        t: base + 3.02,
        src: "2001:db8:53::1",
        dst: c6,
        proto: 17,
        l4: udp(53, 51000 + i, 120),
      });
    }
  }
  packets.sort((a, b) => a.t - b.t);
  writeFileSync(path, pcapBytes(packets.map((p) => ({ t: p.t, bytes: ethernet(ipPacket(p)) }))));
  // what a unidirectional exporter reports: per 5-tuple direction (ICMP echo: type/code in the port)
  const flows = new Map<string, ExpectedFlow>();
  for (const p of packets) {
    const icmp = p.proto === 1;
    const sp = icmp ? 0 : (p.l4[0] << 8) | p.l4[1];
    const dp = icmp ? (p.l4[0] << 8) | p.l4[1] : (p.l4[2] << 8) | p.l4[3];
    const key = `${p.proto} ${p.src} ${sp} ${p.dst} ${dp}`;
    const bytes = ipPacket(p).length;
    const f = flows.get(key);
    if (f) {
      f.end = p.t;
      f.packets++;
      f.bytes += bytes;
    } else
      flows.set(key, {
        start: p.t,
        end: p.t,
        proto: icmp ? "icmp" : p.proto === 6 ? "tcp" : "udp",
        srcAddr: p.src,
        srcPort: sp,
        dstAddr: p.dst,
        dstPort: dp,
        packets: 1,
        bytes,
      });
  }
  // softflowd tracks a connection as one flow: both directions carry its first and last packet times
  // (ICMP echo and reply differ in type, softflowd's port: two flows)
  const conn = (f: ExpectedFlow) =>
    f.proto === "icmp"
      ? `${f.srcAddr} ${f.dstAddr} ${f.dstPort} icmp`
      : [`${f.srcAddr} ${f.srcPort}`, `${f.dstAddr} ${f.dstPort}`].sort().join(" ") + f.proto;
  const span = new Map<string, { start: number; end: number }>();
  for (const f of flows.values()) {
    const s = span.get(conn(f));
    if (s) {
      s.start = Math.min(s.start, f.start);
      s.end = Math.max(s.end, f.end);
    } else span.set(conn(f), { start: f.start, end: f.end });
  }
  return [...flows.values()].map((f) => ({ ...f, ...span.get(conn(f)) }));
}

/** A pcap of UDP datagrams from `exporter` to 127.0.0.1:`port` (raw IPv4 link type). */
export function writeExportPcap(
  path: string,
  datagrams: Uint8Array[],
  exporter: string,
  port: number,
  t0: number | number[] = 1700000000,
): void {
  const frames = datagrams.map((d, i) => {
    const l4 = [...be16(50000), ...be16(port), ...be16(8 + d.length), 0, 0, ...d];
    const t = typeof t0 === "number" ? t0 + i : t0[i];
    return { t, bytes: ipPacket({ t: 0, src: exporter, dst: "127.0.0.1", proto: 17, l4 }) };
  });
  writeFileSync(path, pcapBytes(frames, 101));
}

/** A UDP port free on 127.0.0.1 right now. */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/**
 * Runs softflowd on a capture, exporting to 127.0.0.1:`port` with NetFlow `version` (5, 9, 10); resolves
 * when softflowd has exported everything and exited. Bounded: killed after `timeoutMs`.
 */
export async function runSoftflowd(
  pcap: string,
  port: number,
  version: number,
  dir: string,
  extra: string[] = [],
  timeoutMs = 20_000,
): Promise<number | null> {
  const ctl = join(dir, `softflowd-${port}-${version}.ctl`);
  const child = spawn(
    "softflowd",
    [
      "-d",
      "-a",
      "-r",
      pcap,
      "-n",
      `127.0.0.1:${port}`,
      "-v",
      String(version),
      "-p",
      join(dir, "sf.pid"),
      "-c",
      ctl,
      ...extra,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  let done = false;
  exited.then(() => {
    done = true;
  });
  while (!done && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if (!done) spawnSync("softflowctl", ["-c", ctl, "statistics"], { stdio: "ignore", timeout: 2000 });
  }
  if (!done) child.kill("SIGKILL");
  return exited;
}
