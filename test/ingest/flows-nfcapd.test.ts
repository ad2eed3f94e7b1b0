/**
 * nfcapd files through the nfdump program: magic-byte detection, the clear error without nfdump, a
 * capture the test makes itself (pcap -> nfpcapd -> nfcapd), and the real nfcapd file of ../shared/data
 * against its text version when that data is present.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UserError } from "../../src/core/errors.ts";
import { hasNfcapdMagic, isNfcapdFile, NFDUMP_MISSING } from "../../src/ingest/flows/nfcapd.ts";
import { type FlowReadOptions, type FlowReadStats, readFlows } from "../../src/ingest/flows/reader.ts";
import { copyFlow, type Flow } from "../../src/ingest/flows/record.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const dir = mkdtempSync(join(tmpdir(), "botscope-flows-nfcapd-"));
const DATA = resolve(root, "../shared/data/periodicity");
const REAL = join(DATA, "test1-malicious.nfdump");
const REAL_TEXT = join(DATA, "test1-malicious.nfdump.fmt.txt");

const hasNfdump = spawnSync("nfdump", ["-V"]).status === 0;
const hasNfpcapd = hasNfdump && spawnSync("nfpcapd", ["-h"]).error === undefined;
const NEEDS_NFDUMP = hasNfdump ? false : "nfdump is not installed (apt-get install nfdump)";

async function read(
  files: string[],
  opts: FlowReadOptions = {},
): Promise<{ flows: Flow[]; stats: FlowReadStats }> {
  const flows: Flow[] = [];
  const stats = await readFlows(files, opts, (f) => flows.push(copyFlow(f)));
  return { flows, stats };
}

/** nfcapd 1.7 file header start: magic 0xA50C little-endian, layout version 2. */
const MAGIC = Buffer.from([0x0c, 0xa5, 0x02, 0x00]);

interface Packet {
  time: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: "udp" | "tcp";
  payload: number;
}

function ipv4(a: string): Buffer {
  return Buffer.from(a.split(".").map(Number));
}

function ipv6(a: string): Buffer {
  const [head, tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  const b = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) b.writeUInt16BE(Number.parseInt(groups[i], 16), 2 * i);
  return b;
}

/** A classic pcap (Ethernet) of UDP/TCP packets over IPv4 or IPv6; checksums left zero. */
function pcap(packets: Packet[]): Buffer {
  const parts = [Buffer.alloc(24)];
  parts[0].writeUInt32LE(0xa1b2c3d4, 0);
  parts[0].writeUInt16LE(2, 4);
  parts[0].writeUInt16LE(4, 6);
  parts[0].writeUInt32LE(65535, 16);
  parts[0].writeUInt32LE(1, 20);
  for (const p of packets) {
    const payload = Buffer.alloc(p.payload, 0x61);
    let l4: Buffer;
    if (p.proto === "udp") {
      l4 = Buffer.alloc(8);
      l4.writeUInt16BE(8 + payload.length, 4);
    } else {
      l4 = Buffer.alloc(20);
      l4[12] = 5 << 4;
      l4[13] = 0x18; // PSH ACK
    }
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dport, 2);
    const proto = p.proto === "udp" ? 17 : 6;
    const v6 = p.src.includes(":");
    let ip: Buffer;
    if (v6) {
      ip = Buffer.alloc(40);
      ip[0] = 0x60;
      ip.writeUInt16BE(l4.length + payload.length, 4);
      ip[6] = proto;
      ip[7] = 64;
      ipv6(p.src).copy(ip, 8);
      ipv6(p.dst).copy(ip, 24);
    } else {
      ip = Buffer.alloc(20);
      ip[0] = 0x45;
      ip.writeUInt16BE(20 + l4.length + payload.length, 2);
      ip[8] = 64;
      ip[9] = proto;
      ipv4(p.src).copy(ip, 12);
      ipv4(p.dst).copy(ip, 16);
    }
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
    const frame = Buffer.concat([eth, ip, l4, payload]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.time), 0);
    rec.writeUInt32LE(Math.round((p.time % 1) * 1e6), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  }
  return Buffer.concat(parts);
}

describe("nfcapd detection", () => {
  it("knows nfcapd files by their magic bytes", () => {
    assert.ok(hasNfcapdMagic(MAGIC));
    assert.ok(hasNfcapdMagic(Buffer.from([0x0c, 0xa5, 0x01, 0x00])), "nfdump 1.6 layout");
    assert.ok(hasNfcapdMagic(Buffer.from([0xa5, 0x0c, 0x00, 0x02])), "big-endian writer");
    assert.ok(!hasNfcapdMagic(Buffer.from("StartTime,Dur")));
    assert.ok(!hasNfcapdMagic(Buffer.from([0x1f, 0x8b, 0x08, 0x00])), "gzip");
    assert.ok(!hasNfcapdMagic(Buffer.from([0x0c, 0xa5])), "too short");
    const f = join(dir, "magic.nfcapd");
    writeFileSync(f, Buffer.concat([MAGIC, Buffer.alloc(100)]));
    assert.ok(isNfcapdFile(f));
    assert.ok(!isNfcapdFile(join(dir, "absent")));
  });

  it("says clearly that nfcapd files need nfdump when it cannot be run", async () => {
    const f = join(dir, "needs-nfdump.nfcapd");
    writeFileSync(f, Buffer.concat([MAGIC, Buffer.alloc(300)]));
    await assert.rejects(read([f], { nfdump: join(dir, "no-such-nfdump") }), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.message, NFDUMP_MISSING);
      assert.equal(e.message, "nfcapd files need the nfdump program (apt-get install nfdump)");
      return true;
    });
    if (!hasNfdump) await assert.rejects(read([f]), { message: NFDUMP_MISSING });
  });

  it("refuses nfcapd data on stdin with a clear message", () => {
    const script = join(dir, "stdin.mts");
    writeFileSync(
      script,
      `import { readFlows } from ${JSON.stringify(pathToFileURL(join(root, "src/ingest/flows/reader.ts")).href)};\n` +
        'try { await readFlows(["-"], {}, () => {}); } catch (e) { process.stdout.write(e.message); }\n',
    );
    const input = Buffer.concat([MAGIC, Buffer.alloc(200), Buffer.from("\n")]);
    const child = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, input });
    assert.equal(child.stdout.toString(), "nfcapd data on stdin: give the file name, nfdump reads it");
  });
});

describe("nfcapd through nfdump", () => {
  it("reads a capture made here (pcap -> nfpcapd): every field, IPv4 and IPv6", {
    skip: hasNfpcapd ? false : "nfdump/nfpcapd is not installed (apt-get install nfdump)",
  }, async () => {
    const t0 = 1700000000;
    const packets: Packet[] = [];
    for (let i = 0; i < 5; i++)
      packets.push({
        time: t0 + i * 10.25,
        src: "10.0.0.1",
        dst: "10.0.0.2",
        sport: 40000 + i,
        dport: 53,
        proto: "udp",
        payload: 6,
      });
    packets.push({
      time: t0 + 60,
      src: "10.0.0.3",
      dst: "198.51.100.7",
      sport: 5555,
      dport: 443,
      proto: "tcp",
      payload: 10,
    });
    packets.push({
      time: t0 + 60.5,
      src: "10.0.0.3",
      dst: "198.51.100.7",
      sport: 5555,
      dport: 443,
      proto: "tcp",
      payload: 30,
    });
    packets.push({
      time: t0 + 61,
      src: "2001:db8::1",
      dst: "2001:db8:ffff::abcd",
      sport: 1234,
      dport: 5678,
      proto: "udp",
      payload: 4,
    });
    const pcapFile = join(dir, "made.pcap");
    writeFileSync(pcapFile, pcap(packets));
    const out = join(dir, "nfcapd-made");
    mkdirSync(out, { recursive: true });
    const run = spawnSync("nfpcapd", ["-r", pcapFile, "-w", out], {
      encoding: "utf8",
      env: { ...process.env, TZ: "UTC" },
    });
    assert.equal(run.status, 0, run.stderr);
    const files = readdirSync(out)
      .filter((f) => f.startsWith("nfcapd."))
      .map((f) => join(out, f));
    assert.ok(files.length >= 1);
    assert.ok(files.every(isNfcapdFile));
    const { flows, stats } = await read(files);
    assert.equal(stats.format, "nfcapd");
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.equal(stats.flows, 7);
    flows.sort((a, b) => a.start - b.start);
    assert.deepEqual(flows[0], {
      start: t0,
      duration: 0,
      proto: "udp",
      srcAddr: "10.0.0.1",
      srcPort: 40000,
      dir: "->",
      dstAddr: "10.0.0.2",
      dstPort: 53,
      state: "........",
      sTos: 0,
      dTos: 0,
      totPkts: 1,
      totBytes: 34,
      srcBytes: 34,
      srcPkts: 1,
      dstPkts: 0,
      label: null,
      extra: null,
    });
    assert.equal(flows[1].start, t0 + 10.25);
    const tcp = flows[5];
    assert.deepEqual(
      [tcp.proto, tcp.srcAddr, tcp.dstPort, tcp.duration, tcp.totPkts, tcp.totBytes],
      ["tcp", "10.0.0.3", 443, 0.5, 2, 40 + 10 + 40 + 30],
    );
    assert.equal(tcp.state, "...AP...");
    const v6 = flows[6];
    assert.deepEqual(
      [v6.srcAddr, v6.dstAddr, v6.srcPort, v6.dstPort],
      ["2001:db8::1", "2001:db8:ffff::abcd", 1234, 5678],
    );
  });

  it("reads the real test1-malicious.nfdump: 4,593 flows, the same as its fmt text version", {
    skip: !hasNfdump
      ? "nfdump is not installed (apt-get install nfdump)"
      : !existsSync(REAL) || !existsSync(REAL_TEXT)
        ? `reference data absent: ${REAL}`
        : false,
  }, async () => {
    const bin = await read([REAL]);
    const text = await read([REAL_TEXT]);
    assert.equal(bin.stats.format, "nfcapd");
    assert.equal(text.stats.format, "nfdump-fmt");
    assert.equal(bin.stats.flows, 4593);
    assert.equal(text.stats.flows, 4593);
    assert.equal(bin.stats.bad.total + text.stats.bad.total, 0);
    const key = (f: Flow) => `${f.start} ${f.srcAddr} ${f.srcPort} ${f.dstAddr} ${f.dstPort} ${f.totBytes}`;
    assert.deepEqual(bin.flows.map(key), text.flows.map(key));
    const protos: Record<string, number> = {};
    for (const f of bin.flows) protos[f.proto] = (protos[f.proto] ?? 0) + 1;
    assert.deepEqual(protos, { tcp: 4576, udp: 17 });
    assert.equal(
      bin.flows.reduce((n, f) => n + f.totPkts, 0),
      4652,
      "packets as nfdump's summary counts them",
    );
  });

  it("a cut nfcapd file gives no flows and no crash", { skip: NEEDS_NFDUMP }, async () => {
    const f = join(dir, "cut.nfcapd");
    const src = existsSync(REAL) ? REAL : undefined;
    const head = src ? readFileSync(src).subarray(0, 300) : Buffer.concat([MAGIC, Buffer.alloc(296)]);
    writeFileSync(f, head);
    try {
      const { stats } = await read([f]);
      assert.equal(stats.flows, 0);
      assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    } catch (e) {
      assert.ok(e instanceof UserError);
      assert.match((e as Error).message, /nfdump failed/);
    }
  });
});
