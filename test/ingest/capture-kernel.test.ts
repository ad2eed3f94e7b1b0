/**
 * The WebAssembly capture kernel against the JavaScript reader and flow table alone: the same records,
 * field for field and in the same order, and the same counts, on a simulated capture, on the hand-made
 * scenario (TCP openings, refusals, closes and reused ports; DNS, ICMP, ARP, IPv6, VLAN, GRE), with
 * records cut by small chunks, and on a damaged capture, at four record settings; and the binetflow
 * lines the kernel writes (flows convert) against the JavaScript writer's, on the odd numbers too.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  type CaptureReadOptions,
  type CaptureStats,
  readCaptureFlows,
} from "../../src/ingest/capture/index.ts";
import { kernelAvailable } from "../../src/ingest/capture/kernel.ts";
import { PcapWriter } from "../../src/ingest/capture/pcap-writer.ts";
import { BinetflowEncoder } from "../../src/ingest/capture/write.ts";
import type { Flow } from "../../src/ingest/flows/record.ts";
import { writeSimulatedCapture } from "../../src/simulate/capture.ts";
import { addressBytes, buildFrame } from "../../src/simulate/packets.ts";
import { scenario } from "./capture-scenario.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-kernel-"));
const SETTINGS: CaptureReadOptions[] = [
  {},
  { statusInterval: 5 },
  { statusInterval: 3600 },
  { idleTimeout: 10, activeTimeout: 30 },
];

async function read(file: string, opts: CaptureReadOptions): Promise<{ flows: Flow[]; stats: CaptureStats }> {
  const flows: Flow[] = [];
  const stats = await readCaptureFlows(file, opts, (f) => flows.push(f));
  return { flows, stats };
}

/** Reads `file` with and without the kernel at every setting; returns the kernel's share of packets. */
async function sameBothWays(file: string, extra: CaptureReadOptions = {}): Promise<number[]> {
  const shares: number[] = [];
  for (const opts of SETTINGS) {
    const js = await read(file, { ...opts, ...extra, kernel: false });
    const k = await read(file, { ...opts, ...extra });
    assert.equal(js.stats.kernelPackets, 0);
    assert.equal(k.flows.length, js.flows.length, JSON.stringify(opts));
    for (let i = 0; i < js.flows.length; i++)
      assert.deepEqual(k.flows[i], js.flows[i], `${JSON.stringify(opts)} #${i}`);
    assert.deepEqual({ ...k.stats, kernelPackets: 0 }, js.stats);
    shares.push(k.stats.kernelPackets / k.stats.packets);
  }
  return shares;
}

describe("capture kernel", { skip: !kernelAvailable() && "dist/capture.wasm is not built" }, () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const simulated = join(dir, "sim.pcap");
  writeSimulatedCapture(simulated, { seed: 21, hours: 0.05 });

  it("a simulated capture: the same records and counts, most packets added by the kernel, records rolled over too", async () => {
    const shares = await sameBothWays(simulated);
    // DNS answers, ICMP and ARP, and each second of capture time go the JavaScript way; new TCP and
    // UDP flows too where the kernel has no free row or they do not come last (98.9% in the kernel)
    assert.ok(
      shares.every((x) => x > 0.95),
      `kernel shares ${shares}`,
    );
  });

  it("the hand-made scenario: TCP openings, refusals, closes and reused ports, and every other protocol", async () => {
    const file = join(dir, "scenario.pcap");
    writeFileSync(file, scenario().capture);
    const shares = await sameBothWays(file);
    assert.ok(shares[0] > 0, "the kernel took part");
  });

  it("records cut by the ends of small chunks", async () => {
    const shares = await sameBothWays(simulated, { chunkBytes: 20000 });
    assert.ok(shares[0] > 0.5, `kernel shares ${shares}`);
  });

  it("a damaged capture: garbage, a cut record header and a length that cannot be right", async () => {
    const bytes = new Uint8Array(readFileSync(simulated));
    const n = bytes.length;
    // random bytes over a stretch, an implausible captured length, a record cut at the end
    let x = 12345;
    for (let i = Math.floor(n * 0.3); i < Math.floor(n * 0.3) + 3000; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    new DataView(bytes.buffer).setUint32(Math.floor(n * 0.6), 0x7fffffff, true);
    const file = join(dir, "damaged.pcap");
    writeFileSync(file, bytes.subarray(0, n - 7));
    await sameBothWays(file);
    const { stats } = await read(file, {});
    assert.ok(stats.garbageBytes > 0 && stats.truncatedRecords === 1, JSON.stringify(stats));
  });

  it("binetflow lines: written by the kernel as by JavaScript, also with huge counters, long records and nanosecond times", async () => {
    // at three times (2023; across New Year 2100, which has no 29 February; 2106, near the end of
    // 32-bit time): a UDP flow of 1,100 packets of 4 MB on the wire (4.4 GB: above 2^32; 943 from the source) and a TCP
    // flow of almost an hour; each with microsecond and with nanosecond times whose rounding to
    // microseconds is a half (the JavaScript writer's toFixed decides those)
    const a = addressBytes("192.168.1.10");
    const b = addressBytes("10.200.0.7");
    const udp = buildFrame({ src: a, dst: b, proto: 17, sport: 40000, dport: 9999, payload: 16 });
    const back = buildFrame({ src: b, dst: a, proto: 17, sport: 9999, dport: 40000, payload: 16 });
    const syn = buildFrame({ src: a, dst: b, proto: 6, sport: 40001, dport: 443, tcpFlags: 2 });
    const synAck = buildFrame({ src: b, dst: a, proto: 6, sport: 443, dport: 40001, tcpFlags: 0x12 });
    const ack = buildFrame({
      src: a,
      dst: b,
      proto: 6,
      sport: 40001,
      dport: 443,
      tcpFlags: 0x10,
      payload: 100,
    });
    const expected: Record<number, string[]> = {
      1700000000: [
        "2023/11/14 22:13:20.000000,10.990000,udp,192.168.1.10,40000,  <->,10.200.0.7,9999,CON,0,0,1100,4400000000,3772000000,",
        "2023/11/14 22:13:40.000000,3570.000000,tcp,192.168.1.10,40001,   ->,10.200.0.7,443,SA_SA,0,0,121,",
      ],
      4102444799.5: ["2099/12/31 23:59:59.500000,", "2100/01/01 00:00:19.500000,"],
      4294960000.125: ["2106/02/07 04:26:40.125000,", "2106/02/07 04:27:00.125000,"],
    };
    for (const [base, lines] of Object.entries(expected)) {
      const T = Number(base);
      const w = new PcapWriter();
      for (let i = 0; i < 1100; i++) w.write(T + i * 0.01, i % 7 === 3 ? back : udp, udp.length, 4_000_000);
      w.write(T + 20, syn);
      w.write(T + 20.001, synAck);
      for (let i = 1; i <= 119; i++) w.write(T + 20 + i * 30, ack);
      const micro = w.bytes();
      const nano = micro.slice();
      const dv = new DataView(nano.buffer);
      dv.setUint32(0, 0xa1b23c4d, true);
      for (let p = 24; p < nano.length; p += 16 + dv.getUint32(p + 8, true))
        dv.setUint32(p + 4, dv.getUint32(p + 4, true) * 1000 + 500, true);
      for (const [name, bytes] of [
        [`micro-${T}.pcap`, micro],
        [`nano-${T}.pcap`, nano],
      ] as const) {
        const file = join(dir, name);
        writeFileSync(file, bytes);
        for (const opts of SETTINGS) {
          const convert = async (kernel: boolean) => {
            const enc = new BinetflowEncoder();
            const s = await readCaptureFlows(file, { ...opts, kernel, binetflow: enc }, () => undefined);
            return { text: enc.take().toString(), s };
          };
          const js = await convert(false);
          const k = await convert(true);
          assert.equal(k.text, js.text, `${name} ${JSON.stringify(opts)}`);
          assert.ok(k.s.kernelPackets > 1000, `${name}: the kernel took part`);
          if (name.startsWith("micro") && Object.keys(opts).length === 0)
            for (const line of lines) assert.ok(k.text.includes(line), `${name}: ${line} in\n${k.text}`);
        }
      }
    }
  });
});
