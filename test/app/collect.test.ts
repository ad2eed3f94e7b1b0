/**
 * The collector end to end: datagrams sent to its UDP socket (count stop, garbage counted, rolling
 * files readable by the flow readers), captures of an export (--pcap: rotation on capture time,
 * duration stop), the keep-alive detector on live flows, and the CLI's JSON summary.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseListen, runCollector } from "../../src/app/collect.ts";
import { readFlows } from "../../src/ingest/flows/reader.ts";
import { copyFlow, type Flow } from "../../src/ingest/flows/record.ts";
import { flowRecord, flowTemplate, ipfixMessage, v5Datagram } from "../../src/ingest/netflow/encode.ts";
import { writeExportPcap } from "../helpers/netflow-export.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-collect-"));

function hasIpv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((l) =>
    l?.some((a) => a.family === "IPv6" && a.address === "::1"),
  );
}
const bin = join(import.meta.dirname, "../../bin/botscope.js");

function flowAt(start: number, i: number): Flow {
  return {
    start,
    duration: 0.5,
    proto: "tcp",
    srcAddr: `10.0.0.${(i % 200) + 1}`,
    srcPort: 30000 + i,
    dir: "->",
    dstAddr: "192.0.2.10",
    dstPort: 443,
    state: "...AP.SF",
    sTos: 0,
    dTos: 0,
    totPkts: 5,
    totBytes: 400 + i,
    srcBytes: 400 + i,
    srcPkts: 5,
    dstPkts: 0,
    label: null,
    extra: null,
  };
}

const T = flowTemplate(256, false, true);

/** IPFIX messages of `flows`, `perMessage` records each, the template in the first. */
function ipfixExport(flows: Flow[], perMessage: number, exportSecs: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < flows.length; i += perMessage) {
    const records = flows.slice(i, i + perMessage).map((f) => flowRecord(f, true));
    out.push(
      ipfixMessage({ exportSecs: exportSecs + out.length, sequence: i, domain: 0 }, [
        ...(i === 0 ? [{ templates: [T] }] : []),
        { dataId: 256, template: T, records },
      ]),
    );
  }
  return out;
}

describe("listen addresses", () => {
  it("parses IPv4 and IPv6 UDP URLs and rejects the rest", () => {
    assert.deepEqual(parseListen("udp://127.0.0.1:2055"), { host: "127.0.0.1", port: 2055, family: 4 });
    assert.deepEqual(parseListen("udp://[::1]:9995"), { host: "::1", port: 9995, family: 6 });
    for (const bad of ["tcp://127.0.0.1:2055", "udp://127.0.0.1", "udp://[::1]:70000", "127.0.0.1:2055"])
      assert.throws(() => parseListen(bad), /expected udp:\/\/HOST:PORT/);
  });
});

describe("collector on a UDP socket", () => {
  it("decodes what is sent, counts garbage, stops after --count and writes flow files", async () => {
    const t0 = 1700000000;
    const flows = Array.from({ length: 50 }, (_, i) => flowAt(t0 + i, i));
    const datagrams = [
      Uint8Array.from([1, 2, 3]),
      ...ipfixExport(flows.slice(0, 40), 10, t0 + 100),
      v5Datagram(flows.slice(40), { sysUptime: 1_000_000, exportMs: (t0 + 200) * 1000, sequence: 0 }),
    ];
    const got: Flow[] = [];
    const out = join(dir, "udp");
    const sender = createSocket("udp4");
    const summary = await runCollector({
      listen: { host: "127.0.0.1", port: 0, family: 4 },
      count: 50,
      durationSeconds: 30,
      write: { dir: out, format: "binetflow", rotateSeconds: 300 },
      onFlow: (f) => got.push(f),
      onListening: (a) => {
        // one after the other: UDP on loopback keeps the order of a single sender
        const send = (i: number) => {
          if (i < datagrams.length) sender.send(datagrams[i], a.port, "127.0.0.1", () => send(i + 1));
        };
        send(0);
      },
    });
    sender.close();
    assert.equal(summary.stoppedBy, "count");
    assert.equal(summary.flows, 50);
    assert.deepEqual(got, flows);
    assert.equal(summary.stats.malformed, 1);
    assert.equal(summary.stats.malformedByReason["unknown-version"], 1);
    assert.equal(summary.stats.ipfix.records, 40);
    assert.equal(summary.stats.v5.records, 10);
    // the file is complete at exit, readable by every flow command
    assert.equal(summary.files.length, 1);
    assert.deepEqual(readdirSync(out), [summary.files[0].slice(out.length + 1)]);
    const back: Flow[] = [];
    await readFlows(summary.files, { format: "binetflow" }, (f) => back.push(copyFlow(f)));
    assert.deepEqual(
      back.map((f) => [
        f.start,
        f.srcAddr,
        f.srcPort,
        f.dstAddr,
        f.dstPort,
        f.proto,
        f.totPkts,
        f.totBytes,
        f.state,
      ]),
      flows.map((f) => [
        f.start,
        f.srcAddr,
        f.srcPort,
        f.dstAddr,
        f.dstPort,
        f.proto,
        f.totPkts,
        f.totBytes,
        f.state,
      ]),
    );
  });

  it("listens on IPv6 loopback", { skip: hasIpv6Loopback() ? false : "no IPv6 loopback here" }, async () => {
    const f = flowAt(1700000000, 1);
    const sender = createSocket("udp6");
    const s = await runCollector({
      listen: parseListen("udp://[::1]:0"),
      count: 1,
      durationSeconds: 30,
      onListening: (a) =>
        sender.send(
          v5Datagram([f], { sysUptime: 1_000_000, exportMs: 1700000100_000, sequence: 0 }),
          a.port,
          "::1",
        ),
    });
    sender.close();
    assert.equal(s.flows, 1);
    assert.match(s.source, /^udp:\/\/\[::1\]:\d+$/);
  });

  it("stops on the abort signal and reports a port in use clearly", async () => {
    const stop = new AbortController();
    let port = 0;
    const run = runCollector({
      listen: { host: "127.0.0.1", port: 0, family: 4 },
      signal: stop.signal,
      onListening: (a) => {
        port = a.port;
      },
    });
    while (port === 0) await new Promise((r) => setTimeout(r, 10));
    await assert.rejects(
      runCollector({ listen: { host: "127.0.0.1", port, family: 4 }, count: 1 }),
      /cannot listen/,
    );
    stop.abort();
    const s = await run;
    assert.equal(s.stoppedBy, "signal");
    assert.equal(s.flows, 0);
  });
});

describe("collector on captures of an export", () => {
  const t0 = 1700000000;
  // an IPFIX message per capture second, 5 flows each, for 10 minutes
  const flows = Array.from({ length: 3000 }, (_, i) => flowAt(t0 + i / 5, i));
  const pcap = join(dir, "export.pcap");
  writeExportPcap(pcap, ipfixExport(flows, 5, t0), "192.0.2.99", 4739, t0);

  it("decodes every datagram and rotates files on the capture's clock", async () => {
    const out = join(dir, "rot");
    const s = await runCollector({ pcap: [pcap], write: { dir: out, format: "json", rotateSeconds: 120 } });
    assert.equal(s.stoppedBy, "end");
    assert.equal(s.flows, flows.length);
    assert.equal(s.capture?.datagrams, 600);
    assert.equal(s.stats.lostRecords, 0);
    // 10 minutes from 22:13:20 in 2-minute files aligned to the interval: 22:12, :14, :16, :18, :20, :22
    assert.deepEqual(
      s.files.map((f) => f.slice(out.length + 1)),
      ["202311142212", "202311142214", "202311142216", "202311142218", "202311142220", "202311142222"].map(
        (t) => `flows.${t}.jsonl`,
      ),
    );
    const back = s.files.flatMap((f) =>
      readFileSync(f, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    );
    assert.deepEqual(back, flows);
  });

  it("stops after --duration seconds of capture time, and filters by port", async () => {
    const s = await runCollector({ pcap: [pcap], durationSeconds: 60 });
    assert.equal(s.stoppedBy, "duration");
    assert.equal(s.capture?.datagrams, 61);
    assert.equal(s.flows, 300);
    const other = await runCollector({ pcap: [pcap], ports: [2055] });
    assert.equal(other.flows, 0);
    assert.equal(other.capture?.otherUdp, 600);
  });

  it("finds a periodic beacon in the live flows", async () => {
    // a host contacting its controller every 5 minutes for 4 hours among random other flows
    const beacon = Array.from({ length: 48 }, (_, i) => ({
      ...flowAt(t0 + i * 300 + (i % 3) * 0.2, 0),
      srcAddr: "10.9.9.9",
      dstAddr: "203.0.113.66",
      dstPort: 8443,
    }));
    const noise = Array.from({ length: 500 }, (_, i) => flowAt(t0 + ((i * 7919) % 14400), i + 1));
    const all = [...beacon, ...noise].sort((a, b) => a.start - b.start);
    const file = join(dir, "beacon.pcap");
    writeExportPcap(file, ipfixExport(all, 20, t0), "192.0.2.98", 4739, t0);
    const s = await runCollector({ pcap: [file], keepalive: {} });
    assert.equal(s.flows, all.length);
    const hosts = s.keepalive?.hosts.map((h) => h.host) ?? [];
    assert.deepEqual(hosts, ["10.9.9.9"]);
    assert.ok(Math.abs((s.keepalive?.hosts[0].periodMs ?? 0) - 300_000) < 3000);
  });

  it("CLI: botscope collect --pcap --json", () => {
    const r = spawnSync(process.execPath, [bin, "collect", "--pcap", pcap, "--count", "1000", "--json"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.flows, 1000);
    assert.equal(j.stoppedBy, "count");
    assert.equal(j.stats.ipfix.datagrams, 200);
  });
});
