/**
 * The WebAssembly capture kernel against the JavaScript reader and flow table alone: the same records,
 * field for field and in the same order, and the same counts, on a simulated capture, on the hand-made
 * scenario (TCP openings, refusals, closes and reused ports; DNS, ICMP, ARP, IPv6, VLAN, GRE), with
 * records cut by small chunks, and on a damaged capture, at four record settings.
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
import type { Flow } from "../../src/ingest/flows/record.ts";
import { writeSimulatedCapture } from "../../src/simulate/capture.ts";
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
    // new flows, DNS, ICMP and ARP, and each second of capture time go the JavaScript way
    assert.ok(
      shares.every((x) => x > 0.8),
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
});
