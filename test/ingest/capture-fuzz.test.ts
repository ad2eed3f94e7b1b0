/**
 * Damaged captures (seeded, so a failure reproduces): random bytes after valid file headers, every
 * prefix of a small capture, garbage and absurd lengths between records, bit flips, snap-length cuts,
 * zero-length packets, bad IPv4 headers, IPv6 extension-header chains, unknown link types, input in
 * chunks of any size. Reading never throws except the UserError for input that is not a capture;
 * the counters add up (every packet record is in a flow or counted as truncated, not IP, unknown link
 * or bad IP); the valid packets around damage make exactly the flows they make without it.
 * BOTSCOPE_FUZZ_SEED=<text> runs other seeds (the default ones are fixed).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { UserError } from "../../src/core/errors.ts";
import { Rng } from "../../src/core/random.ts";
import {
  type CaptureReadOptions,
  type CaptureStats,
  readCaptureFlows,
} from "../../src/ingest/capture/index.ts";
import { PcapWriter } from "../../src/ingest/capture/pcap-writer.ts";
import type { Flow } from "../../src/ingest/flows/record.ts";
import { addressBytes as A, buildFrame } from "../../src/simulate/packets.ts";
import { C, CaptureBuilder, pcapngBytes, S, scenario, T0 } from "./capture-scenario.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-capture-fuzz-"));
const SEED = process.env.BOTSCOPE_FUZZ_SEED ?? "";
const seeded = (label: string) => new Rng(`${label}${SEED}`);
let files = 0;

interface Read {
  flows: Flow[];
  stats: CaptureStats;
}

async function read(bytes: Uint8Array, o: CaptureReadOptions = {}, ordered = true): Promise<Read> {
  const file = join(dir, `f${files++}.cap`);
  writeFileSync(file, bytes);
  const flows: Flow[] = [];
  const stats = await readCaptureFlows(file, o, (f) => flows.push(f));
  checkCounters(stats, flows, ordered);
  return { flows, stats };
}

/**
 * Every record is a packet; every packet is in a flow or counted once; flows hold those packets; flows
 * come out in start order (`ordered`: when the packets are in time order).
 */
function checkCounters(s: CaptureStats, flows: Flow[], ordered: boolean): void {
  assert.equal(s.packets, s.records);
  assert.equal(s.packets, s.flowPackets + s.truncated + s.unknownLink + s.nonIp + s.badIp);
  assert.equal(
    flows.reduce((n, f) => n + f.totPkts, 0),
    s.flowPackets,
  );
  assert.equal(flows.length, s.flows);
  if (ordered)
    for (let i = 1; i < flows.length; i++) assert.ok(flows[i].start >= flows[i - 1].start, "order");
}

function brief(f: Flow): string {
  return `${(f.start - T0).toFixed(6)} ${f.proto} ${f.srcAddr}:${f.srcPort} ${f.dir} ${f.dstAddr}:${f.dstPort} ${f.state} ${f.srcPkts}/${f.dstPkts} ${f.totBytes}`;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A capture of `n` short TCP sessions, and where each of its records ends. */
function sessions(n: number): {
  bytes: Uint8Array;
  ends: number[];
  packets: { ts: number; frame: Uint8Array }[];
} {
  const b = new CaptureBuilder();
  for (let i = 0; i < n; i++) {
    const t = i * 2;
    b.tcp(t, C, S, 41000 + i, 80, "S")
      .tcp(t + 0.01, S, C, 80, 41000 + i, "SA")
      .tcp(t + 0.02, C, S, 41000 + i, 80, "PA", { payload: 20 + i })
      .tcp(t + 0.03, S, C, 80, 41000 + i, "RA");
  }
  const ends: number[] = [];
  let o = 24;
  for (const p of b.packets) {
    o += 16 + p.frame.length;
    ends.push(o);
  }
  return { bytes: b.bytes(), ends, packets: b.packets };
}

function pcapHeader(link = 1): Uint8Array {
  return new PcapWriter(undefined, { linkType: link }).bytes().slice();
}

/** A pcap record header (little-endian). */
function recordHeader(ts: number, cap: number, orig: number): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, Math.floor(ts), true);
  dv.setUint32(4, Math.round((ts % 1) * 1e6), true);
  dv.setUint32(8, cap >>> 0, true);
  dv.setUint32(12, orig >>> 0, true);
  return h;
}

describe("damaged captures", () => {
  it("input that is not a capture is a UserError; nothing else throws", async () => {
    await assert.rejects(read(new Uint8Array(0)), UserError);
    const rng = seeded("not-a-capture");
    for (let i = 0; i < 50; i++) {
      const b = randomBytes(rng, 1 + rng.int(300));
      b[0] = 0x42; // no magic begins with it
      await assert.rejects(read(b), UserError);
    }
  });

  it("random bytes after a valid pcap header or pcapng blocks, read in random chunks", async () => {
    const rng = seeded("random-tail");
    const ng = pcapngBytes([], [{ link: 1 }, { link: 113, tsresol: 9 }]);
    for (let i = 0; i < 150; i++) {
      const head = i % 2 ? pcapHeader() : ng;
      await read(concat([head, randomBytes(rng, rng.int(3000))]), { chunkBytes: 1 + rng.int(700) });
    }
  });

  it("every prefix of a small capture: the complete records, each once", async () => {
    const { bytes, ends } = sessions(3);
    const whole = await read(bytes);
    for (let len = 1; len <= bytes.length; len++) {
      const r = await read(bytes.subarray(0, len));
      const complete = ends.filter((e) => e <= len).length;
      assert.equal(r.stats.records, complete, `prefix ${len}`);
      assert.equal(r.stats.flowPackets, complete);
      // an incomplete file header or last record is one truncated record
      assert.equal(r.stats.truncatedRecords, len === 24 || ends.includes(len) ? 0 : 1, `prefix ${len}`);
    }
    assert.equal(whole.flows.length, 3);
    // pcapng: the same packets, prefixes through every block
    const { packets } = sessions(3);
    const ng = pcapngBytes(packets, [{ link: 1 }]);
    for (let len = 1; len <= ng.length; len++) {
      const r = await read(ng.subarray(0, len));
      assert.ok(r.stats.records <= packets.length);
    }
    assert.equal((await read(ng)).stats.records, packets.length);
  });

  it("garbage and absurd lengths between pcap records: the packets around them make the same flows", async () => {
    const rng = seeded("pcap-damage");
    const { bytes, ends } = sessions(6);
    const clean = (await read(bytes)).flows.map(brief);
    for (let i = 0; i < 60; i++) {
      const parts: Uint8Array[] = [];
      let at = 0;
      let zero = 0;
      for (const e of [24, ...ends]) {
        parts.push(bytes.subarray(at, e));
        at = e;
        if (!rng.chance(0.3) || e === bytes.length) continue;
        const ts = T0 + rng.int(10);
        // (a record a year away goes after the first real one: before it, with several of them
        // agreeing with each other, nothing tells which time is the capture's)
        switch (rng.int(e === 24 ? 3 : 5)) {
          case 0:
            parts.push(randomBytes(rng, 1 + rng.int(80)));
            break;
          case 1: // captured length beyond anything
            parts.push(recordHeader(ts, 0xffffffff, 60), randomBytes(rng, rng.int(40)));
            break;
          case 2: // a zero-length packet: a record, counted as truncated
            parts.push(recordHeader(ts, 0, 0));
            zero++;
            break;
          case 3: // a timestamp a year away
            parts.push(recordHeader(ts + 365 * 86400, 20, 20), randomBytes(rng, 20));
            break;
          default: // captured longer than on the wire
            parts.push(recordHeader(ts, 80, 60), randomBytes(rng, rng.int(40)));
        }
      }
      const r = await read(concat(parts), { chunkBytes: 1 + rng.int(500) });
      assert.deepEqual(r.flows.map(brief), clean, `iteration ${i}`);
      assert.equal(r.stats.truncated, zero);
    }
    // one record a year away first: the real header after it contradicts it
    const yearAway = concat([
      bytes.subarray(0, 24),
      recordHeader(T0 + 365 * 86400, 20, 20),
      randomBytes(rng, 20),
    ]);
    const r = await read(concat([yearAway, bytes.subarray(24)]));
    assert.deepEqual(r.flows.map(brief), clean);
    assert.equal(r.stats.garbageBytes, 36);
  });

  it("damaged pcapng blocks: bad lengths, unknown interfaces; the other packets make the same flows", async () => {
    const rng = seeded("pcapng-damage");
    const { packets } = sessions(4);
    const clean = (await read(pcapngBytes(packets, [{ link: 1 }]))).flows.map(brief);
    const head = pcapngBytes([], [{ link: 1 }]);
    const blocks = packets.map((p) => pcapngBytes([p], [{ link: 1 }]).subarray(head.length));
    const u32 = (n: number) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
    for (let i = 0; i < 60; i++) {
      const parts: Uint8Array[] = [head];
      for (const b of blocks) {
        parts.push(b);
        if (!rng.chance(0.3)) continue;
        switch (rng.int(4)) {
          case 0: // a length that is not a multiple of 4
            parts.push(Uint8Array.from([...u32(6), ...u32(33), ...randomBytes(rng, 21)]));
            break;
          case 1: // a length far beyond the file
            parts.push(Uint8Array.from([...u32(6), ...u32(0x7ffffff0), ...randomBytes(rng, 8)]));
            break;
          case 2: {
            // the trailing length disagrees
            const bad = b.slice();
            bad[bad.length - 4] ^= 0x40;
            parts.push(bad);
            break;
          }
          default: // a packet of an interface that was never described: counted as garbage
            parts.push(Uint8Array.from([...u32(6), ...u32(32), ...u32(5), ...Array(16).fill(0), ...u32(32)]));
        }
      }
      const r = await read(concat(parts), { chunkBytes: 1 + rng.int(300) });
      assert.deepEqual(r.flows.map(brief), clean, `iteration ${i}`);
    }
  });

  it("bit flips anywhere: never throws, counters add up", async () => {
    const rng = seeded("bit-flips");
    const { capture } = scenario();
    const ng = pcapngBytes(sessions(3).packets, [{ link: 1 }, { link: 113, tsresol: 9 }]);
    for (let i = 0; i < 200; i++) {
      const b = (i % 4 === 0 ? ng : capture).slice();
      for (let k = 1 + rng.int(20); k > 0; k--) {
        // mostly past the file header (a flipped magic is simply not a capture)
        const at = 4 + rng.int(b.length - 4);
        b[at] ^= 1 << rng.int(8);
      }
      // flipped timestamps put packets out of time order: no start order to check
      await read(b, { chunkBytes: 1 + rng.int(2000), statusInterval: i % 2 ? 5 : undefined }, false);
    }
  });

  it("snap-length cuts and zero-length packets: what is left of each header decides", async () => {
    const { packets } = sessions(1);
    // Ethernet 14 + IPv4 20 + TCP 20: ports need 38 bytes, flags 48
    const expect: [number, number, number][] = [
      // [captured bytes, packets in flows, of those partial]
      [0, 0, 0],
      [13, 0, 0],
      [33, 0, 0],
      [37, 0, 0],
      [38, 4, 4],
      [47, 4, 4],
      [48, 4, 0],
      [54, 4, 0],
    ];
    for (const [cap, inFlows, partial] of expect) {
      const w = new PcapWriter();
      for (const p of packets) w.write(p.ts, p.frame, Math.min(cap, p.frame.length), p.frame.length);
      const r = await read(w.bytes());
      assert.deepEqual(
        [r.stats.flowPackets, r.stats.partial, r.stats.truncated],
        [inFlows, partial, 4 - inFlows],
      );
      // bytes on the wire count, however little was captured
      if (inFlows)
        assert.equal(
          r.flows[0].totBytes,
          packets.reduce((n, p) => n + p.frame.length, 0),
        );
    }
  });

  it("IPv4 with a bad version or header length; IPv6 extension-header chains of any length", async () => {
    const b = new CaptureBuilder();
    const bad = (ihlByte: number) => {
      const f = buildFrame({ src: A(C), dst: A(S), proto: 17, sport: 1, dport: 2, payload: 8 });
      f[14] = ihlByte;
      return f;
    };
    b.frame(0, bad(0x42)) // IHL 8 bytes
      .frame(1, bad(0x40)) // IHL 0
      .frame(2, bad(0x65)) // version 6 behind an IPv4 ethertype
      .frame(3, bad(0x4f)); // IHL 60 bytes, more than there is
    // IPv6: 300 hop-by-hop headers, then UDP; a chain that never ends; one pointing past the end
    const v6 = (ext: number[], next: number, tail: number[]) => {
      const body = [...ext, ...tail];
      const f = buildFrame({
        src: A("2001:db8::1"),
        dst: A("2001:db8::2"),
        proto: next,
        payload: body.length,
      });
      f.set(body, 14 + 40);
      return f;
    };
    const chain: number[] = [];
    for (let i = 0; i < 300; i++) chain.push(i < 299 ? 0 : 17, 0, 0, 0, 0, 0, 0, 0);
    b.frame(4, v6(chain, 0, [0x13, 0x88, 0x00, 0x35, 0, 8, 0, 0]));
    b.frame(5, v6(Array(400).fill(0), 0, []));
    b.frame(6, v6([17, 200, 0, 0, 0, 0, 0, 0], 60, []));
    const r = await read(b.bytes());
    assert.deepEqual([r.stats.badIp, r.stats.truncated, r.stats.flowPackets], [3, 3, 1]);
    assert.equal(
      brief(r.flows[0]),
      `4.000000 udp 2001:db8::1:5000 -> 2001:db8::2:53 INT 1/0 ${14 + 40 + 2408}`,
    );
  });

  it("link types botscope does not know are counted by type; the others still make flows", async () => {
    const { packets } = sessions(2);
    for (const link of [147, 9999]) {
      const w = new PcapWriter(undefined, { linkType: link });
      for (const p of packets) w.write(p.ts, p.frame);
      const r = await read(w.bytes());
      assert.deepEqual([r.stats.unknownLink, r.stats.unknownLinkTypes, r.flows.length], [8, [link], 0]);
    }
    const mixed = packets.map((p, i) => ({ ...p, iface: i % 4 < 2 ? 0 : 1 }));
    const r = await read(pcapngBytes(mixed, [{ link: 1 }, { link: 147 }]));
    assert.deepEqual([r.stats.unknownLink, r.stats.unknownLinkTypes, r.stats.flowPackets], [4, [147], 4]);
  });

  it("chunks of any size give the same flows", async () => {
    const { capture } = scenario();
    const want = (await read(capture)).flows.map(brief);
    for (const chunkBytes of [1, 2, 3, 5, 16, 17, 100, 1000, 4096]) {
      assert.deepEqual(
        (await read(capture, { chunkBytes })).flows.map(brief),
        want,
        `chunks of ${chunkBytes}`,
      );
    }
  });
});
