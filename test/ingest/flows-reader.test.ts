/**
 * readFlows on simulated CTU-13 captures: counts and label classes against the simulator's truth, the
 * bad-input catalogue (every bad line counted with its reason and file:line, nothing else lost), gzip,
 * stdin, detection, several files, and the CTU-13 fast path against the column engine.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { UsageError } from "../../src/core/errors.ts";
import type { BadLineReport } from "../../src/ingest/bad-lines.ts";
import { BinetflowParser } from "../../src/ingest/flows/binetflow.ts";
import { type FlowReadOptions, type FlowReadStats, readFlows } from "../../src/ingest/flows/reader.ts";
import { copyFlow, type Flow, labelClass } from "../../src/ingest/flows/record.ts";
import { simulateFlows } from "../../src/simulate/flows.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const dir = mkdtempSync(join(tmpdir(), "botscope-flows-reader-"));
let fileNo = 0;

function writeTemp(content: string | Buffer, name = `f${fileNo++}.txt`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? Buffer.from(content, "latin1") : content);
  return path;
}

async function read(
  files: string | string[],
  opts: FlowReadOptions = {},
): Promise<{ flows: Flow[]; stats: FlowReadStats }> {
  const flows: Flow[] = [];
  const stats = await readFlows(Array.isArray(files) ? files : [files], opts, (f) => flows.push(copyFlow(f)));
  return { flows, stats };
}

function classes(flows: Flow[]): Record<string, number> {
  const out: Record<string, number> = { botnet: 0, normal: 0, background: 0 };
  for (const f of flows) {
    const c = labelClass(f.label);
    assert.ok(c, `every simulated flow has a class: ${f.label}`);
    out[c]++;
  }
  return out;
}

const sim = simulateFlows({ seed: 11, hours: 1 });
const simText = `${sim.lines.join("\n")}\n`;

describe("readFlows on simulated CTU-13 binetflow", () => {
  it("reads every flow, and the label classes match the simulator's truth", async () => {
    const { flows, stats } = await read(writeTemp(simText));
    assert.equal(stats.format, "binetflow");
    assert.equal(stats.lines, sim.lines.length);
    assert.equal(stats.bad.total, 0, stats.bad.describe().join("\n"));
    assert.equal(stats.flows, sim.truth.flows);
    assert.equal(flows.length, sim.truth.flows);
    assert.deepEqual(classes(flows), sim.truth.flowsByLabel);
    const protos = new Set(flows.map((f) => f.proto));
    assert.deepEqual([...protos].sort(), ["arp", "icmp", "tcp", "udp"]);
    const t0 = Date.parse(sim.truth.start) / 1000;
    const t1 = Date.parse(sim.truth.end) / 1000;
    assert.ok(flows.every((f) => f.start >= t0 && f.start < t1));
    assert.ok(
      flows.every((f, i) => i === 0 || f.start >= flows[i - 1].start),
      "in input order",
    );
    // the simulator writes every field; reading it back and re-formatting gives the same numbers
    for (let i = 1; i < 200; i++) {
      const cols = sim.lines[i].split(",");
      const f = flows[i - 1];
      assert.equal(f.duration, Number(cols[1]));
      assert.equal(f.srcAddr, cols[3]);
      assert.equal(f.dstAddr, cols[6]);
      assert.equal(f.totBytes, Number(cols[12]));
      assert.equal(`flow=${f.label}`, cols[14]);
    }
  });

  it("the CTU-13 fast path gives exactly what the column engine gives", () => {
    const fast = new BinetflowParser(true);
    const slow = new BinetflowParser(false);
    const tweaked = sim.lines.map((l, i) =>
      // a few lines the fast path must hand over: spaces, odd numbers, an empty count
      i % 97 === 5
        ? l.replace(",tcp,", ", tcp ,")
        : i % 89 === 7
          ? l.replace(/,(\d+),flow=/, ",$1.0,flow=")
          : l,
    );
    tweaked.push("2026/03/02 08:00:00.5,,udp,10.0.0.1,1,   ->,10.0.0.2,2,CON,0,0,,,,flow=Normal");
    for (const line of tweaked) assert.deepEqual(fast.parse(line), slow.parse(line), line);
  });

  it("gives the same flows with reuseRecord (one scratch record)", async () => {
    const file = writeTemp(simText);
    const kept: Flow[] = [];
    let last: Flow | undefined;
    let same = true;
    await readFlows([file], { reuseRecord: true }, (f) => {
      if (last && f !== last) same = false;
      last = f;
      kept.push(copyFlow(f));
    });
    assert.ok(same, "one record for every flow");
    const { flows } = await read(file);
    assert.deepEqual(kept, flows);
  });

  it("reads gzip and stdin (plain and gzipped) alike", async () => {
    const gz = writeTemp(gzipSync(simText), "sim.binetflow.gz");
    const { flows, stats } = await read(gz);
    assert.equal(stats.flows, sim.truth.flows);
    assert.deepEqual(classes(flows), sim.truth.flowsByLabel);

    const script = writeTemp(
      `import { readFlows } from ${JSON.stringify(pathToFileURL(join(root, "src/ingest/flows/reader.ts")).href)};\n` +
        "let botnet = 0;\n" +
        'const s = await readFlows(["-"], {}, (f) => { if (f.label?.includes("Botnet")) botnet++; });\n' +
        "process.stdout.write(JSON.stringify({ format: s.format, flows: s.flows, lines: s.lines, bad: s.bad.total, botnet }));\n",
      "read-stdin.mts",
    );
    for (const input of [Buffer.from(simText, "latin1"), gzipSync(simText)]) {
      const child = spawnSync(process.execPath, ["--import", "tsx", script], { cwd: root, input });
      assert.equal(child.status, 0, child.stderr.toString());
      assert.deepEqual(JSON.parse(child.stdout.toString()), {
        format: "binetflow",
        flows: sim.truth.flows,
        lines: sim.lines.length,
        bad: 0,
        botnet: sim.truth.flowsByLabel.botnet,
      });
    }
  });

  it("reads several files (one header each) and calls afterBatch between batches", async () => {
    const a = simulateFlows({ seed: 12, hours: 0.25 });
    const b = simulateFlows({ seed: 13, hours: 0.25 });
    let batches = 0;
    let flows = 0;
    const stats = await readFlows(
      [writeTemp(a.lines.join("\n")), writeTemp(gzipSync(b.lines.join("\n")))],
      {},
      () => flows++,
      async () => {
        batches++;
      },
    );
    assert.equal(stats.flows, a.truth.flows + b.truth.flows);
    assert.equal(flows, stats.flows);
    assert.equal(stats.lines, a.lines.length + b.lines.length);
    assert.ok(batches >= 2);
    assert.equal(stats.format, "binetflow");
  });
});

describe("bad input", () => {
  it("counts every bad line with its reason and file:line, and loses nothing else", async () => {
    const good = sim.lines.slice(0, 2001); // header + 2000 flows
    const sample = good[10];
    const cols = sample.split(",");
    const withCol = (i: number, v: string) => cols.map((c, j) => (j === i ? v : c)).join(",");
    const injected: [number, string, string][] = [
      // [line number after injection, text, reason]
      [3, sample.slice(0, 60), "truncated"],
      [8, "\u0000\u0001\u0002garbage\u00ff\u00fe,,,", "binary"],
      [13, `${sample},extra`, "wrong-field-count"],
      [21, withCol(0, "2026/13/45 08:00:00.1"), "bad-time"],
      [34, withCol(3, "10.20.x.1"), "bad-address"],
      [55, withCol(11, "many"), "bad-number"],
      [89, "x".repeat(100_000), "oversized"],
      [144, "", "empty"],
      [233, "GET /index.html HTTP/1.1 200", "wrong-format"],
      [377, '{"ts": 1, "id.orig_h": "1.2.3.4"}', "truncated"],
    ];
    const lines = [...good];
    for (const [at, text] of injected) lines.splice(at - 1, 0, text);
    const file = writeTemp(`${lines.join("\n")}\n`);
    const { flows, stats } = await read(file);
    assert.equal(stats.lines, lines.length);
    assert.equal(stats.flows, 2000, "every good line is read");
    assert.equal(flows.length, 2000);
    assert.equal(stats.bad.total, injected.length);
    const report: BadLineReport = stats.bad.toJSON();
    const expected: Record<string, number> = {};
    for (const [, , reason] of injected) expected[reason] = (expected[reason] ?? 0) + 1;
    assert.deepEqual(report.byReason, expected);
    for (const [at, text, reason] of injected) {
      const ex = report.examples[reason as keyof typeof report.examples] ?? [];
      const e = ex.find((x) => x.line === at);
      assert.ok(e, `${reason} example at line ${at}`);
      assert.equal(e.file, file);
      if (reason === "oversized") assert.equal(e.text, "(line over the size limit)");
      else if (reason === "binary") assert.match(e.text, /^\\x00\\x01\\x02garbage\\xff\\xfe/);
      else assert.equal(e.text, text.slice(0, 160));
    }
    assert.ok(stats.bad.describe().some((l) => l.includes(`${file}:89: (line over the size limit)`)));
  });

  it("keeps at most five examples per reason and counts the rest", async () => {
    const lines = [
      sim.lines[0],
      ...Array.from({ length: 12 }, (_, i) => `${sim.lines[i + 1]},x`),
      sim.lines[20],
    ];
    const { stats } = await read(writeTemp(lines.join("\n")), { format: "binetflow" });
    assert.equal(stats.flows, 1);
    assert.equal(stats.bad.toJSON().byReason["wrong-field-count"], 12);
    assert.deepEqual(
      stats.bad.toJSON().examples["wrong-field-count"]?.map((e) => e.line),
      [2, 3, 4, 5, 6],
    );
  });

  it("empty files, header-only files and files of empty lines", async () => {
    let r = await read(writeTemp(""));
    assert.deepEqual([r.stats.format, r.stats.lines, r.stats.flows, r.stats.bad.total], ["none", 0, 0, 0]);
    r = await read(writeTemp(`${sim.lines[0]}\n`));
    assert.deepEqual(
      [r.stats.format, r.stats.lines, r.stats.flows, r.stats.bad.total],
      ["binetflow", 1, 0, 0],
    );
    r = await read(writeTemp("#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n#close\t2020\n"));
    assert.deepEqual([r.stats.format, r.stats.lines, r.stats.flows, r.stats.bad.total], ["zeek", 3, 0, 0]);
    r = await read(writeTemp("\n\n\n"));
    assert.deepEqual([r.stats.format, r.stats.lines, r.stats.flows], ["none", 3, 0]);
    assert.deepEqual(r.stats.bad.toJSON().byReason, { empty: 3 });
  });

  it("refuses a file of another kind with a clear error, and counts it line by line with --format", async () => {
    const web = Array.from(
      { length: 20 },
      (_, i) => `10.0.0.${i} - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 100 "-" "curl"`,
    ).join("\n");
    const file = writeTemp(web);
    await assert.rejects(read(file), (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(
        e.message,
        /cannot recognise the flow format \(0 of \d+ sample lines readable\): use --format/,
      );
      assert.ok(e.message.startsWith(file));
      return true;
    });
    const { stats } = await read(file, { format: "relbot" });
    assert.equal(stats.flows, 0);
    assert.equal(stats.bad.total, 20);
    assert.deepEqual(stats.bad.toJSON().byReason, { "wrong-field-count": 20 });
    await assert.rejects(read(file, { format: "nfcapd" }), /not an nfcapd file/);
  });

  it("binary garbage in place of a file is refused, inside a file it is counted", async () => {
    const garbage = Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 256));
    await assert.rejects(read(writeTemp(garbage)), UsageError);
    const mixed = Buffer.concat([
      Buffer.from(`${sim.lines.slice(0, 50).join("\n")}\n`),
      garbage.subarray(0, 300),
    ]);
    const { stats } = await read(writeTemp(mixed));
    assert.equal(stats.flows, 49);
    assert.ok((stats.bad.toJSON().byReason.binary ?? 0) >= 1);
    assert.equal(stats.lines, 49 + 1 + stats.bad.total);
  });

  it("honours maxLineBytes", async () => {
    const lines = sim.lines.slice(0, 11);
    lines.splice(5, 0, `${sim.lines[20]}${"-padding".repeat(40)}`);
    const { stats } = await read(writeTemp(lines.join("\n")), { maxLineBytes: 300 });
    assert.equal(stats.flows, 10);
    assert.deepEqual(stats.bad.toJSON().byReason, { oversized: 1 });
    assert.equal(stats.bad.toJSON().examples.oversized?.[0].line, 6);
  });
});
