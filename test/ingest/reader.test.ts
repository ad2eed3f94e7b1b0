import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { UsageError } from "../../src/core/errors.ts";
import { describeBadLines } from "../../src/ingest/bad-lines.ts";
import { readWebLog, type WeblogOptions, type WeblogStats } from "../../src/ingest/weblog/reader.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";
import { combined, common, seeded, T0, vhostCombined } from "./lines.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-reader-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function write(content: string | Buffer, name = `f${fileNo++}.log`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? Buffer.from(content, "latin1") : content);
  return path;
}

async function read(
  files: string[],
  opts: WeblogOptions = {},
): Promise<{ stats: WeblogStats; requests: WebRequest[]; batches: number }> {
  const requests: WebRequest[] = [];
  let batches = 0;
  const stats = await readWebLog(
    files,
    opts,
    (r) => requests.push({ ...r }),
    () => {
      batches++;
    },
  );
  return { stats, requests, batches };
}

/** Random bytes without line breaks, with at least one NUL: what a corrupted log block looks like. */
function binaryGarbage(rand: () => number, n: number): string {
  let s = "\u0000";
  while (s.length < n) {
    const b = Math.floor(rand() * 256);
    if (b !== 10 && b !== 13) s += String.fromCharCode(b);
  }
  return s;
}

/** A good line whose request path carries its own line number, so losses and shifts show. */
const good = (lineNo: number, ip = `192.0.2.${(lineNo % 250) + 1}`) =>
  combined({ ip, time: T0 + lineNo, path: `/line/${lineNo}`, ua: "Mozilla/5.0 (good)" });

describe("readWebLog: the bad input catalogue", () => {
  it("counts every bad line by reason, with file:line examples, and reads every good line around them", async () => {
    const rand = seeded(7);
    const lines: string[] = [];
    const expectedBad: Record<string, number[]> = {};
    const bad = (reason: string, text: string) => {
      lines.push(text);
      expectedBad[reason] ??= [];
      expectedBad[reason].push(lines.length);
    };
    const ok = () => lines.push(good(lines.length + 1));
    for (let i = 0; i < 30; i++) ok(); // a clean start, so the format is detected
    const full = good(9999);
    bad("truncated", full.slice(0, full.length - 12));
    ok();
    bad("binary", binaryGarbage(rand, 300));
    bad("binary", binaryGarbage(rand, 40));
    ok();
    bad(
      "wrong-format",
      "May 17 10:05:03 web1 sshd[4321]: Accepted publickey for root from 192.0.2.1 port 22",
    );
    ok();
    bad("oversized", combined({ ip: "192.0.2.1", time: T0, path: "/", ua: "U".repeat(5000) }));
    ok();
    bad("empty", "");
    bad("empty", "");
    ok();
    bad("bad-status", full.replace('" 200 ', '" 999 '));
    bad("bad-time", full.replace("17/May/2015", "17/Mai/2015"));
    bad("bad-address", full.replace(/^192\.0\.2\.\d+/, "not-an-address"));
    ok();
    bad("oversized", `${"#".repeat(3 * (1 << 20) + 12345)}`); // spans several 1 MiB read chunks
    ok();
    for (let i = 0; i < 7; i++) {
      const g = good(lines.length + 1);
      bad("truncated", g.slice(0, 20 + i * 12));
      ok();
    }
    ok();
    const file = write(`${lines.join("\n")}\n${good(lines.length + 1)}`); // last line without newline
    const total = lines.length + 1;

    const { stats, requests } = await read([file], { maxLineBytes: 4096 });
    assert.equal(stats.format, "combined");
    assert.equal(stats.lines, total);
    const report = stats.bad.toJSON();
    assert.deepEqual(
      report.byReason,
      Object.fromEntries(Object.entries(expectedBad).map(([r, l]) => [r, l.length])),
    );
    const badCount = Object.values(expectedBad).reduce((a, l) => a + l.length, 0);
    assert.equal(stats.requests, total - badCount);
    assert.equal(requests.length, stats.requests);
    assert.equal(stats.bad.total, badCount);
    for (const [reason, lineNos] of Object.entries(expectedBad)) {
      const ex = report.examples[reason as keyof typeof report.examples] ?? [];
      assert.deepEqual(
        ex.map((e) => `${e.file}:${e.line}`),
        lineNos.slice(0, 5).map((n) => `${file}:${n}`),
        `examples of ${reason}`,
      );
      for (const e of ex) {
        assert.ok(e.text.length <= 160 * 4, "examples are short");
        assert.match(e.text, /^[\x20-\x7e]*$/, "examples are printable");
      }
    }
    assert.equal(report.examples.oversized?.[0].text, "(line over the size limit)");
    assert.ok(report.examples.binary?.[0].text.startsWith("\\x00"));
    assert.ok(report.examples["wrong-format"]?.[0].text.startsWith("May 17 10:05:03 web1 sshd"));

    // every good line arrives, in order, with its own values
    const badLines = new Set(Object.values(expectedBad).flat());
    const goodNos = Array.from({ length: total }, (_, i) => i + 1).filter((n) => !badLines.has(n));
    assert.deepEqual(
      requests.map((r) => r.path),
      goodNos.map((n) => `/line/${n}`),
    );
    assert.deepEqual(
      requests.map((r) => r.time),
      goodNos.map((n) => T0 + n),
    );
    assert.ok(requests.every((r) => r.userAgent === "Mozilla/5.0 (good)" && r.status === 200));

    const text = describeBadLines(report);
    assert.ok(text.includes("truncated: 8"));
    assert.ok(text.includes(`  ${file}:${expectedBad.truncated[0]}: ${report.examples.truncated?.[0].text}`));
  });

  it("numbers lines per file across several files, gzip included, and skips an empty file", async () => {
    const a = write([good(1), "garbage one", good(3)].join("\n"));
    const empty = write("");
    const b = write(gzipSync([good(1), good(2), "", "garbage two", good(5)].join("\r\n")), "b.log.gz");
    const { stats, requests } = await read([a, empty, b]);
    assert.equal(stats.lines, 8);
    assert.equal(stats.requests, 5);
    assert.deepEqual(
      requests.map((r) => r.path),
      ["/line/1", "/line/3", "/line/1", "/line/2", "/line/5"],
    );
    assert.deepEqual(stats.bad.toJSON().byReason, { "wrong-format": 2, empty: 1 });
    assert.deepEqual(
      stats.bad.toJSON().examples["wrong-format"]?.map((e) => `${e.file}:${e.line}`),
      [`${a}:2`, `${b}:4`],
    );
    assert.deepEqual(
      stats.bad.toJSON().examples.empty?.map((e) => `${e.file}:${e.line}`),
      [`${b}:3`],
    );
  });

  it("reads an empty file as nothing, without error", async () => {
    const { stats, requests } = await read([write("")]);
    assert.deepEqual([stats.format, stats.lines, stats.requests, stats.bad.total], ["none", 0, 0, 0]);
    assert.equal(requests.length, 0);
  });

  it("refuses a file of garbage with a clear error when the format is to be detected", async () => {
    const rand = seeded(11);
    const garbage = write(
      `${Array.from({ length: 40 }, (_, i) => (i % 2 ? binaryGarbage(rand, 100) : `syslog-ish ${i}: hello`)).join("\n")}\n`,
    );
    await assert.rejects(read([garbage]), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /cannot recognise the log format \(0 of 40 sample lines readable\)/);
      assert.match(e.message, /--format or --log-format/);
      return true;
    });
    // with the format given, the same file is read and every line counted as bad
    const { stats } = await read([garbage], { format: "combined" });
    assert.equal(stats.requests, 0);
    assert.equal(stats.bad.total, 40);
    assert.deepEqual(stats.bad.toJSON().byReason, { "wrong-format": 20, binary: 20 });
  });

  it("detects each format from the first lines of the input", async () => {
    const spec = (i: number) => ({
      ip: `198.51.100.${i + 1}`,
      time: T0 + i,
      path: `/p/${i}`,
      host: "h.example",
    });
    const n = 25;
    const cases: [string, (i: number) => string][] = [
      ["combined", (i) => combined(spec(i))],
      ["common", (i) => common(spec(i))],
      ["vhost_combined", (i) => vhostCombined(spec(i))],
      [
        "json",
        (i) =>
          JSON.stringify({
            _source: {
              "@timestamp": new Date((T0 + i) * 1000).toISOString(),
              client_ip: `198.51.100.${i + 1}`,
              client_request_host: "h.example",
              client_url: `/p/${i}`,
              http_response_code: 200,
            },
          }),
      ],
    ];
    for (const [name, line] of cases) {
      const f = write(Array.from({ length: n }, (_, i) => line(i)).join("\n"));
      const { stats, requests } = await read([f]);
      assert.equal(stats.format, name);
      assert.equal(stats.requests, n, name);
      assert.deepEqual(
        requests.map((r) => [r.ip, r.time, r.path]),
        Array.from({ length: n }, (_, i) => [`198.51.100.${i + 1}`, T0 + i, `/p/${i}`]),
        name,
      );
      if (name !== "combined" && name !== "common") assert.ok(requests.every((r) => r.host === "h.example"));
    }
  });

  it("classifies bad JSON lines", async () => {
    const doc = (i: number) =>
      JSON.stringify({
        "@timestamp": T0 + i,
        client_ip: "10.0.0.1",
        client_url: "/",
        http_response_code: 200,
      });
    const f = write(
      [
        doc(0),
        doc(1),
        doc(2),
        '{"client_ip": "10.0.0.1", "@timestamp"',
        '{"a": 1,}',
        doc(5),
        "{}",
        "plain text",
      ].join("\n"),
    );
    const { stats } = await read([f]);
    assert.equal(stats.format, "json");
    assert.equal(stats.requests, 4);
    assert.deepEqual(stats.bad.toJSON().byReason, {
      truncated: 1,
      "bad-json": 1,
      "bad-address": 1,
      "wrong-format": 1,
    });
  });

  it("uses a given --log-format or --format without detection", async () => {
    const f = write(["1431857103.5 192.0.2.1 GET /a 200", "1431857104 192.0.2.2 GET /b 404"].join("\n"));
    const { stats, requests } = await read([f], {
      logFormat: "$msec $remote_addr $request_method $uri $status",
    });
    assert.equal(stats.format, "log_format");
    assert.deepEqual(
      requests.map((r) => [r.time, r.ip, r.method, r.path, r.status]),
      [
        [1431857103.5, "192.0.2.1", "GET", "/a", 200],
        [1431857104, "192.0.2.2", "GET", "/b", 404],
      ],
    );
    const c = write(`${common({ ip: "192.0.2.3", time: T0, path: "/" })}\n`);
    assert.equal((await read([c], { format: "common" })).stats.format, "common");
    assert.equal((await read([c], { format: "combined" })).stats.bad.toJSON().byReason.truncated, 1);
  });

  it("hands out one reused record with reuseRecord, with the same values", async () => {
    const f = write(Array.from({ length: 50 }, (_, i) => good(i + 1)).join("\n"));
    const seen = new Set<WebRequest>();
    const copies: WebRequest[] = [];
    await readWebLog([f], { reuseRecord: true }, (r) => {
      seen.add(r);
      copies.push({ ...r });
    });
    assert.equal(seen.size, 1);
    assert.deepEqual(copies, (await read([f])).requests);
  });

  it("calls afterBatch once per batch of lines", async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => good(i + 1));
    const f = write(lines.join("\n")); // ~4 MiB: several 1 MiB chunks
    const { stats, batches } = await read([f]);
    assert.equal(stats.requests, 30_000);
    assert.ok(batches >= 3, `${batches} batches`);
  });
});
