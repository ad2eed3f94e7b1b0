/**
 * Test helper: a capture written from hand-made packets with known ground truth, one situation every
 * 10 seconds so none meets another: TCP sessions (handshake and close with real sequence numbers, a
 * refusal and its retry, unanswered SYNs, a connection seen from the middle, one seen from its
 * SYN+ACK, a reused port), DNS queries sharing a source port, UDP one way and a long UDP exchange,
 * ICMP echo, an echo reply alone, port unreachable quoting the refused datagram, ARP, IPv6 UDP and
 * ICMPv6 echo, an 802.1Q-tagged frame and GRE.
 */
import { PcapWriter } from "../../src/ingest/capture/pcap-writer.ts";
import { addressBytes as A, arpFrame, buildFrame, type FrameSpec } from "../../src/simulate/packets.ts";

export const T0 = 1700000000;
export const C = "10.0.0.1";
export const S = "10.0.0.2";

const FLAGS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16 };

export function flagBits(letters: string): number {
  let f = 0;
  for (const c of letters) f |= FLAGS[c] ?? 0;
  return f;
}

/** Packets in time order, written as a pcap. */
export class CaptureBuilder {
  readonly packets: { ts: number; frame: Uint8Array }[] = [];

  frame(t: number, frame: Uint8Array): this {
    this.packets.push({ ts: T0 + t, frame });
    return this;
  }

  add(t: number, spec: FrameSpec): this {
    return this.frame(t, buildFrame(spec));
  }

  tcp(
    t: number,
    src: string,
    dst: string,
    sport: number,
    dport: number,
    flags: string,
    o: Partial<FrameSpec> = {},
  ) {
    return this.add(t, { src: A(src), dst: A(dst), proto: 6, sport, dport, tcpFlags: flagBits(flags), ...o });
  }

  udp(t: number, src: string, dst: string, sport: number, dport: number, payload = 10) {
    return this.add(t, { src: A(src), dst: A(dst), proto: 17, sport, dport, payload });
  }

  bytes(): Uint8Array {
    const w = new PcapWriter();
    for (const p of [...this.packets].sort((a, b) => a.ts - b.ts)) w.write(p.ts, p.frame);
    return w.bytes();
  }
}

/** A DNS message over UDP: transaction id first in the payload. */
function dns(
  src: string,
  dst: string,
  sport: number,
  dport: number,
  id: number,
  answer: boolean,
): Uint8Array {
  const f = buildFrame({ src: A(src), dst: A(dst), proto: 17, sport, dport, payload: 30 });
  const o = 14 + 20 + 8;
  f.set([id >> 8, id & 255, answer ? 0x81 : 0x01, answer ? 0x80 : 0, 0, 1, 0, answer ? 1 : 0, 0, 0, 0, 0], o);
  return f;
}

/** ICMP port unreachable from `from`, quoting the UDP datagram src:sport -> dst:dport. */
function portUnreachable(from: string, src: string, dst: string, sport: number, dport: number): Uint8Array {
  const quoted = buildFrame({ src: A(src), dst: A(dst), proto: 17, sport, dport, link: "raw" }).subarray(
    0,
    28,
  );
  const f = buildFrame({ src: A(from), dst: A(src), proto: 1, icmpType: 3, icmpCode: 3, payload: 28 });
  f.set(quoted, f.length - 28);
  return f;
}

/** One expected record (start relative to T0). */
export interface Expected {
  start: number;
  proto: string;
  src: string;
  sport: number | null;
  dir: string;
  dst: string;
  dport: number | null;
  state: string;
  srcPkts: number;
  dstPkts: number;
  bytes: number;
}

const E = 14; // Ethernet header
const TCP = E + 40;
const UDP = E + 28;

/**
 * The scenario: its capture and the records botscope makes of it with Argus's model at -S 5
 * (`argusRecords`), which are Argus's records too except where docs/capture-vs-argus.md says.
 */
export function scenario(): { capture: Uint8Array; argusRecords: Expected[] } {
  const b = new CaptureBuilder();
  const e: Expected[] = [];
  const rec = (x: Expected) => e.push(x);

  // 0: a whole TCP session with real sequence numbers: handshake, 100 bytes up, 200 down, FIN both ways
  const cs = 1000;
  const ss = 5000;
  b.tcp(0, C, S, 40000, 80, "S", { seq: cs })
    .tcp(0.01, S, C, 80, 40000, "SA", { seq: ss, ack: cs + 1 })
    .tcp(0.02, C, S, 40000, 80, "A", { seq: cs + 1, ack: ss + 1 })
    .tcp(0.03, C, S, 40000, 80, "PA", { seq: cs + 1, ack: ss + 1, payload: 100 })
    .tcp(0.04, S, C, 80, 40000, "A", { seq: ss + 1, ack: cs + 101 })
    .tcp(0.05, S, C, 80, 40000, "PA", { seq: ss + 1, ack: cs + 101, payload: 200 })
    .tcp(0.06, C, S, 40000, 80, "A", { seq: cs + 101, ack: ss + 201 })
    .tcp(0.07, C, S, 40000, 80, "FA", { seq: cs + 101, ack: ss + 201 })
    .tcp(0.08, S, C, 80, 40000, "FA", { seq: ss + 201, ack: cs + 102 })
    .tcp(0.09, C, S, 40000, 80, "A", { seq: cs + 102, ack: ss + 202 });
  rec({
    start: 0,
    proto: "tcp",
    src: C,
    sport: 40000,
    dir: "->",
    dst: S,
    dport: 80,
    state: "FSPA_FSPA",
    srcPkts: 6,
    dstPkts: 4,
    bytes: 10 * TCP + 300,
  });

  // 10: refused, and the SYN tried again: the refusal acknowledges the SYN, so the retry joins the flow
  b.tcp(10, C, S, 40001, 22, "S", { seq: 7000 })
    .tcp(10.01, S, C, 22, 40001, "RA", { seq: 0, ack: 7001 })
    .tcp(11, C, S, 40001, 22, "S", { seq: 7000 })
    .tcp(11.01, S, C, 22, 40001, "RA", { seq: 0, ack: 7001 });
  rec({
    start: 10,
    proto: "tcp",
    src: C,
    sport: 40001,
    dir: "->",
    dst: S,
    dport: 22,
    state: "S_RA",
    srcPkts: 2,
    dstPkts: 2,
    bytes: 4 * TCP,
  });

  // 20: SYNs nobody answers
  b.tcp(20, C, S, 40002, 23, "S").tcp(21, C, S, 40002, 23, "S").tcp(23, C, S, 40002, 23, "S");
  rec({
    start: 20,
    proto: "tcp",
    src: C,
    sport: 40002,
    dir: "->",
    dst: S,
    dport: 23,
    state: "S_",
    srcPkts: 3,
    dstPkts: 0,
    bytes: 3 * TCP,
  });

  // 30: a connection seen from its middle: no direction
  b.tcp(30, C, S, 40003, 443, "PA", { payload: 50 }).tcp(30.01, S, C, 443, 40003, "A");
  rec({
    start: 30,
    proto: "tcp",
    src: C,
    sport: 40003,
    dir: "<?>",
    dst: S,
    dport: 443,
    state: "PA_A",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * TCP + 50,
  });

  // 40: the SYN was missed: the SYN+ACK's receiver is the source
  b.tcp(40, S, C, 80, 40004, "SA")
    .tcp(40.01, C, S, 40004, 80, "A")
    .tcp(40.02, C, S, 40004, 80, "PA", { payload: 10 });
  rec({
    start: 40,
    proto: "tcp",
    src: C,
    sport: 40004,
    dir: "->",
    dst: S,
    dport: 80,
    state: "PA_SA",
    srcPkts: 2,
    dstPkts: 1,
    bytes: 3 * TCP + 10,
  });

  // 50: FIN (never acknowledged), then the port reused one second later: a new flow
  b.tcp(50, C, S, 40005, 80, "S").tcp(50.01, S, C, 80, 40005, "SA").tcp(50.02, C, S, 40005, 80, "FA");
  b.tcp(51, C, S, 40005, 80, "S").tcp(51.01, S, C, 80, 40005, "RA");
  rec({
    start: 50,
    proto: "tcp",
    src: C,
    sport: 40005,
    dir: "->",
    dst: S,
    dport: 80,
    state: "FSA_SA",
    srcPkts: 2,
    dstPkts: 1,
    bytes: 3 * TCP,
  });
  rec({
    start: 51,
    proto: "tcp",
    src: C,
    sport: 40005,
    dir: "->",
    dst: S,
    dport: 80,
    state: "S_RA",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * TCP,
  });

  // 60: two DNS queries from one source port (A and AAAA): a flow per transaction id
  b.frame(60, dns(C, S, 33000, 53, 0x1111, false))
    .frame(60.0001, dns(C, S, 33000, 53, 0x2222, false))
    .frame(60.01, dns(S, C, 53, 33000, 0x1111, true))
    .frame(60.0101, dns(S, C, 53, 33000, 0x2222, true));
  rec({
    start: 60,
    proto: "udp",
    src: C,
    sport: 33000,
    dir: "<->",
    dst: S,
    dport: 53,
    state: "CON",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * (UDP + 30),
  });
  rec({
    start: 60.0001,
    proto: "udp",
    src: C,
    sport: 33000,
    dir: "<->",
    dst: S,
    dport: 53,
    state: "CON",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * (UDP + 30),
  });

  // 70: one UDP datagram, no answer
  b.udp(70, C, "9.9.9.9", 5000, 123, 48);
  rec({
    start: 70,
    proto: "udp",
    src: C,
    sport: 5000,
    dir: "->",
    dst: "9.9.9.9",
    dport: 123,
    state: "INT",
    srcPkts: 1,
    dstPkts: 0,
    bytes: UDP + 48,
  });

  // 80: a datagram every 2 s for 18 s, answered once: records of 5 s (80-84, 86-90, 92-96, 98)
  for (let t = 80; t <= 98; t += 2) b.udp(t, C, S, 5001, 6001);
  b.udp(81, S, C, 6001, 5001);
  rec({
    start: 80,
    proto: "udp",
    src: C,
    sport: 5001,
    dir: "<->",
    dst: S,
    dport: 6001,
    state: "CON",
    srcPkts: 3,
    dstPkts: 1,
    bytes: 4 * (UDP + 10),
  });
  for (const [t, n] of [
    [86, 3],
    [92, 3],
    [98, 1],
  ])
    rec({
      start: t,
      proto: "udp",
      src: C,
      sport: 5001,
      dir: "->",
      dst: S,
      dport: 6001,
      state: "REQ",
      srcPkts: n,
      dstPkts: 0,
      bytes: n * (UDP + 10),
    });

  // 110: echo and its reply; 111: a reply alone (its receiver asked: the source, "<-")
  const echo = (t: number, src: string, dst: string, type: number, id: number) =>
    b.add(t, { src: A(src), dst: A(dst), proto: 1, icmpType: type, icmpId: id, payload: 56 });
  echo(110, C, S, 8, 0x1234);
  echo(110.001, S, C, 0, 0x1234);
  echo(111, S, C, 0, 0x4321);
  rec({
    start: 110,
    proto: "icmp",
    src: C,
    sport: 8,
    dir: "<->",
    dst: S,
    dport: 0x1234,
    state: "ECO",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * (E + 28 + 56),
  });
  rec({
    start: 111,
    proto: "icmp",
    src: C,
    sport: 0,
    dir: "<-",
    dst: S,
    dport: 0x4321,
    state: "ECR",
    srcPkts: 0,
    dstPkts: 1,
    bytes: E + 28 + 56,
  });

  // 120: a datagram refused with port unreachable (the ICMP flow names the refused port)
  b.udp(120, C, S, 5002, 9999).frame(120.5, portUnreachable(S, C, S, 5002, 9999));
  rec({
    start: 120,
    proto: "udp",
    src: C,
    sport: 5002,
    dir: "->",
    dst: S,
    dport: 9999,
    state: "INT",
    srcPkts: 1,
    dstPkts: 0,
    bytes: UDP + 10,
  });
  rec({
    start: 120.5,
    proto: "icmp",
    src: S,
    sport: 0x0303,
    dir: "->",
    dst: C,
    dport: 9999,
    state: "URP",
    srcPkts: 1,
    dstPkts: 0,
    bytes: E + 28 + 28,
  });

  // 130: ARP request and reply
  b.frame(130, arpFrame(A(C), A(S))).frame(130.001, arpFrame(A(S), A(C), true));
  rec({
    start: 130,
    proto: "arp",
    src: C,
    sport: null,
    dir: "who",
    dst: S,
    dport: null,
    state: "CON",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * 42,
  });

  // 140: IPv6 UDP both ways; 141: ICMPv6 echo (source port the type, destination port the code)
  const a6 = "2001:db8::1";
  const b6 = "2001:db8::2";
  b.udp(140, a6, b6, 1000, 53, 10).udp(140.5, b6, a6, 53, 1000, 20);
  b.add(141, { src: A(a6), dst: A(b6), proto: 58, icmpType: 128, icmpId: 7, payload: 8 });
  b.add(141.1, { src: A(b6), dst: A(a6), proto: 58, icmpType: 129, icmpId: 7, payload: 8 });
  rec({
    start: 140,
    proto: "udp",
    src: a6,
    sport: 1000,
    dir: "<->",
    dst: b6,
    dport: 53,
    state: "CON",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * (E + 48) + 30,
  });
  rec({
    start: 141,
    proto: "ipv6-icmp",
    src: a6,
    sport: 128,
    dir: "<->",
    dst: b6,
    dport: 0,
    state: "ECO",
    srcPkts: 1,
    dstPkts: 1,
    bytes: 2 * (E + 48 + 8),
  });

  // 150: an 802.1Q-tagged datagram (the tag counts in the bytes); 160: GRE
  b.add(150, { src: A(C), dst: A(S), proto: 17, sport: 7, dport: 7, payload: 10, vlan: 42 });
  b.add(160, { src: A(C), dst: A(S), proto: 47, payload: 30 });
  rec({
    start: 150,
    proto: "udp",
    src: C,
    sport: 7,
    dir: "->",
    dst: S,
    dport: 7,
    state: "INT",
    srcPkts: 1,
    dstPkts: 0,
    bytes: 4 + UDP + 10,
  });
  rec({
    start: 160,
    proto: "gre",
    src: C,
    sport: null,
    dir: "->",
    dst: S,
    dport: null,
    state: "INT",
    srcPkts: 1,
    dstPkts: 0,
    bytes: E + 20 + 30,
  });

  return { capture: b.bytes(), argusRecords: e };
}

/** pcapng (little-endian, one section): interfaces by link type and if_tsresol exponent (default 6). */
export function pcapngBytes(
  packets: { ts: number; frame: Uint8Array; iface?: number; caplen?: number }[],
  ifaces: { link: number; tsresol?: number }[],
): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
  const u16 = (n: number) => [n & 255, n >> 8];
  const block = (type: number, body: number[]) => {
    while (body.length % 4) body.push(0);
    const len = body.length + 12;
    out.push(...u32(type), ...u32(len), ...body, ...u32(len));
  };
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d), ...u16(1), ...u16(0), ...Array(8).fill(0xff)]);
  for (const i of ifaces) {
    const opts = i.tsresol === undefined ? [] : [...u16(9), ...u16(1), i.tsresol, 0, 0, 0];
    block(1, [...u16(i.link), 0, 0, ...u32(0), ...opts, 0, 0, 0, 0]);
  }
  for (const p of packets) {
    const per = 10n ** BigInt(ifaces[p.iface ?? 0].tsresol ?? 6);
    const units = (BigInt(Math.round(p.ts * 1e6)) * per) / 1000000n;
    const cap = p.caplen ?? p.frame.length;
    block(6, [
      ...u32(p.iface ?? 0),
      ...u32(Number(units >> 32n)),
      ...u32(Number(units & 0xffffffffn)),
      ...u32(cap),
      ...u32(p.frame.length),
      ...p.frame.subarray(0, cap),
    ]);
  }
  return Uint8Array.from(out);
}
