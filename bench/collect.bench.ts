/**
 * Collector decoding: NetFlow v5, v9 and IPFIX datagrams (1,000,000 flows encoded here, IPv4, full
 * datagrams as exporters send them) decoded into flows on one core, best of 3, in flow records per
 * second. Reference, in the same run: nfdump reading the nfcapd file that nfcapd wrote from the same
 * IPFIX export (`nfdump -r FILE -q -o csv > /dev/null`, records per second). Without nfdump the
 * figures are printed without a reference.
 */
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCollector } from "../src/app/collect.ts";
import type { Flow } from "../src/ingest/flows/record.ts";
import { NetflowDecoder } from "../src/ingest/netflow/decoder.ts";
import {
  flowRecord,
  flowTemplate,
  ipfixMessage,
  v5Datagram,
  v9Datagram,
} from "../src/ingest/netflow/encode.ts";
import type { Figure } from "./run.ts";

const FLOWS = 1_000_000;
const T0 = 1700000000;

function flows(): Flow[] {
  const out: Flow[] = [];
  for (let i = 0; i < FLOWS; i++) {
    const tcp = i % 4 !== 0;
    out.push({
      start: T0 + i / 1000,
      duration: (i % 1000) / 100,
      proto: tcp ? "tcp" : "udp",
      srcAddr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      srcPort: 1024 + (i % 60000),
      dir: "->",
      dstAddr: `192.0.${(i * 7) & 255}.${(i * 13) & 255}`,
      dstPort: tcp ? 443 : 53,
      state: tcp ? "...AP.SF" : "........",
      sTos: 0,
      dTos: 0,
      totPkts: 1 + (i % 50),
      totBytes: 60 + (i % 5000),
      srcBytes: 60 + (i % 5000),
      srcPkts: 1 + (i % 50),
      dstPkts: 0,
      label: null,
      extra: null,
    });
  }
  return out;
}

/** Datagrams of `per` records each, template (v9, IPFIX) in every 20th as exporters refresh it. */
function exportOf(version: 5 | 9 | 10, all: Flow[]): Uint8Array[] {
  const per = version === 5 ? 30 : version === 9 ? 44 : 32;
  const ipfix = version === 10;
  const t = flowTemplate(256, false, ipfix);
  const boot = T0 * 1000 - 3_600_000;
  const out: Uint8Array[] = [];
  for (let i = 0, n = 0; i < all.length; i += per, n++) {
    const chunk = all.slice(i, i + per);
    const exportSecs = Math.floor(chunk[chunk.length - 1].start) + 60;
    if (version === 5) {
      out.push(
        v5Datagram(chunk, { sysUptime: exportSecs * 1000 - boot, exportMs: exportSecs * 1000, sequence: i }),
      );
      continue;
    }
    const sets = [
      ...(n % 20 === 0 ? [{ templates: [t] }] : []),
      { dataId: 256, template: t, records: chunk.map((f) => flowRecord(f, ipfix, boot)) },
    ];
    out.push(
      ipfix
        ? ipfixMessage({ exportSecs, sequence: i, domain: 0 }, sets)
        : v9Datagram(
            { sysUptime: exportSecs * 1000 - boot, unixSecs: exportSecs, sequence: n, sourceId: 0 },
            sets,
          ),
    );
  }
  return out;
}

/** Records per second of decoding every datagram, best of 3 (a fresh decoder per run). */
function decodeRate(datagrams: Uint8Array[]): { rate: number; records: number } {
  let best = Number.POSITIVE_INFINITY;
  let records = 0;
  for (let r = 0; r < 3; r++) {
    let bytes = 0;
    const d = new NetflowDecoder((f) => {
      bytes += f.totBytes;
    });
    const t = performance.now();
    for (const b of datagrams) d.decode(b, "192.0.2.1");
    best = Math.min(best, (performance.now() - t) / 1000);
    records = d.stats.records;
    if (d.stats.malformed || bytes <= 0) throw new Error("the bench's datagrams did not decode");
  }
  return { rate: records / best, records };
}

/** nfcapd records the IPFIX export; nfdump's records per second reading that file, best of 3. */
async function nfdumpRate(datagrams: Uint8Array[]): Promise<{ rate: number; records: number } | undefined> {
  if (spawnSync("nfdump", ["-V"]).error || spawnSync("nfcapd", ["-V"]).error) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "botscope-collect-bench-"));
  try {
    const probe = createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const nfcapd = spawn(
      "nfcapd",
      ["-b", "127.0.0.1", "-p", String(port), "-w", dir, "-t", "3600", "-B", "16000000"],
      {
        stdio: "ignore",
      },
    );
    const exited = new Promise<void>((r) => nfcapd.on("exit", () => r()));
    await new Promise((r) => setTimeout(r, 1000));
    const s = createSocket("udp4");
    // paced: a few hundred datagrams at a time, so the receiver's buffer never overflows
    for (let i = 0; i < datagrams.length; i++) {
      s.send(datagrams[i], port, "127.0.0.1");
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 2));
    }
    await new Promise((r) => setTimeout(r, 1500));
    s.close();
    nfcapd.kill("SIGINT");
    await exited;
    const file = join(
      dir,
      readdirSync(dir).filter((f) => f.startsWith("nfcapd.") && !f.includes("current"))[0],
    );
    const info = spawnSync("nfdump", ["-r", file, "-I"], { encoding: "utf8" }).stdout;
    const records = Number(/^Flows:\s*(\d+)/m.exec(info)?.[1] ?? 0);
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      spawnSync("nfdump", ["-r", file, "-q", "-o", "csv"], {
        stdio: "ignore",
        env: { ...process.env, TZ: "UTC" },
      });
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return { rate: records / best, records };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A pcap (raw IPv4) of the datagrams as UDP from 192.0.2.1 to port 4739, one a millisecond. */
function exportPcap(path: string, datagrams: Uint8Array[]): void {
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(101, 20);
  parts.push(h);
  datagrams.forEach((d, i) => {
    const ip = Buffer.alloc(28);
    ip[0] = 0x45;
    ip.writeUInt16BE(28 + d.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([192, 0, 2, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    ip.writeUInt16BE(50000, 20);
    ip.writeUInt16BE(4739, 22);
    ip.writeUInt16BE(8 + d.length, 24);
    const r = Buffer.alloc(16);
    r.writeUInt32LE(T0 + Math.floor(i / 1000), 0);
    r.writeUInt32LE((i % 1000) * 1000, 4);
    r.writeUInt32LE(28 + d.length, 8);
    r.writeUInt32LE(28 + d.length, 12);
    parts.push(r, ip, Buffer.from(d));
  });
  writeFileSync(path, Buffer.concat(parts));
}

/** `botscope collect --pcap` without output: capture reading, decoding and the collector's loop. */
async function pcapRate(datagrams: Uint8Array[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "botscope-collect-bench-"));
  try {
    const file = join(dir, "export.pcap");
    exportPcap(file, datagrams);
    let best = Number.POSITIVE_INFINITY;
    let flows = 0;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      flows = (await runCollector({ pcap: [file] })).flows;
      best = Math.min(best, (performance.now() - t) / 1000);
    }
    return flows / best;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Figure[]> {
  const all = flows();
  const v5 = exportOf(5, all);
  const v9 = exportOf(9, all);
  const ipfix = exportOf(10, all);
  const ref = await nfdumpRate(ipfix);
  const reference = ref && {
    name: `nfdump reading nfcapd's file of the IPFIX export (${ref.records} records)`,
    value: ref.rate,
  };
  const figures: Figure[] = [];
  for (const [name, datagrams] of [
    ["v5", v5],
    ["v9", v9],
    ["IPFIX", ipfix],
  ] as const) {
    const r = decodeRate(datagrams);
    figures.push({
      name: `decode ${name} (${r.records} records, ${datagrams.length} datagrams)`,
      value: r.rate,
      unit: "records/s",
      reference,
      better: "higher",
      note: "one core, target 500k/s",
    });
  }
  figures.push({
    name: "collect --pcap of the IPFIX export (capture read + decode)",
    value: await pcapRate(ipfix),
    unit: "records/s",
    reference,
    better: "higher",
  });
  return figures;
}
