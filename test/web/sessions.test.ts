import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BadLines } from "../../src/ingest/bad-lines.ts";
import { emptyRequest } from "../../src/ingest/weblog/log-format.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";
import {
  type RequestSource,
  runWebSessions,
  targetMatcher,
  type WebRunOptions,
} from "../../src/web/pipeline.ts";
import { Sessionizer, type SessionizerOptions, type WebSession } from "../../src/web/sessionizer.ts";
import { combined, T0, vhostCombined } from "../ingest/lines.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-sessions-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (lines: string[]) => {
  const path = join(dir, `s${fileNo++}.log`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
};

const req = (ip: string, t: number, host: string | null = null, path = "/"): WebRequest => ({
  ...emptyRequest(),
  ip,
  host,
  time: T0 + t,
  method: "GET",
  path,
  status: 200,
  userAgent: "ua",
});

function sessionizer(opts: Partial<SessionizerOptions> = {}): { s: Sessionizer; out: WebSession[] } {
  const out: WebSession[] = [];
  const s = new Sessionizer({ gapSeconds: 1800, key: "ip", compat: false, ...opts }, (x) => out.push(x));
  return { s, out };
}

/** [ip, host, session number, start, end, requests] relative to T0, sorted for comparison. */
const summary = (out: WebSession[]) =>
  out
    .map((x) => [x.ip, x.host, x.sessionNumber, x.start - T0, x.end - T0, x.requests] as const)
    .sort((a, b) => `${a[0]} ${a[1]} ${a[2]}`.localeCompare(`${b[0]} ${b[1]} ${b[2]}`));

describe("sessionizer", () => {
  it("starts a new session after a gap longer than 1800 s, numbering the IP's sessions", () => {
    const { s, out } = sessionizer();
    for (const t of [0, 1800, 3601, 3700, 5500]) s.push(req("10.0.0.1", t));
    for (const t of [100, 5000]) s.push(req("10.0.0.2", t));
    s.flush();
    assert.deepEqual(summary(out), [
      ["10.0.0.1", null, 0, 0, 1800, 2], // a gap of exactly 1800 s stays in the session
      ["10.0.0.1", null, 1, 3601, 5500, 3],
      ["10.0.0.2", null, 0, 100, 100, 1],
      ["10.0.0.2", null, 1, 5000, 5000, 1],
    ]);
    assert.equal(s.activeSessions, 0);
    assert.equal(s.distinctIps, 2);
  });

  it("uses a configured gap", () => {
    const { s, out } = sessionizer({ gapSeconds: 600 });
    for (const t of [0, 600, 1201, 1300, 1900, 2501]) s.push(req("10.0.0.1", t));
    s.flush();
    assert.deepEqual(summary(out), [
      ["10.0.0.1", null, 0, 0, 600, 2],
      ["10.0.0.1", null, 1, 1201, 1900, 3],
      ["10.0.0.1", null, 2, 2501, 2501, 1],
    ]);
    assert.equal(out.find((x) => x.sessionNumber === 2)?.features.request_interval, 600);
  });

  it('separates the hosts of one IP with key "ip+host", and merges them with key "ip"', () => {
    const requests = [
      req("10.0.0.1", 0, "a.example"),
      req("10.0.0.1", 10, "b.example"),
      req("10.0.0.1", 20, "a.example"),
      req("10.0.0.1", 30, null),
      req("10.0.0.2", 40, "a.example"),
    ];
    const byIp = sessionizer();
    for (const r of requests) byIp.s.push(r);
    byIp.s.flush();
    assert.deepEqual(summary(byIp.out), [
      ["10.0.0.1", "a.example", 0, 0, 30, 4], // the host of the session's first request
      ["10.0.0.2", "a.example", 0, 40, 40, 1],
    ]);
    const byHost = sessionizer({ key: "ip+host" });
    for (const r of requests) byHost.s.push(r);
    byHost.s.flush();
    assert.deepEqual(summary(byHost.out), [
      ["10.0.0.1", "a.example", 0, 0, 20, 2],
      ["10.0.0.1", "b.example", 0, 10, 10, 1],
      ["10.0.0.1", null, 0, 30, 30, 1],
      ["10.0.0.2", "a.example", 0, 40, 40, 1],
    ]);
    assert.equal(byHost.s.distinctIps, 2);
  });

  it("closes idle sessions on advance() and the rest on flush()", () => {
    const { s, out } = sessionizer();
    s.push(req("10.0.0.1", 0));
    s.push(req("10.0.0.2", 1000));
    s.advance(T0 + 1800);
    assert.equal(out.length, 0, "idle for exactly the gap: still open");
    s.advance(T0 + 1801);
    assert.deepEqual(summary(out), [["10.0.0.1", null, 0, 0, 0, 1]]);
    assert.equal(s.activeSessions, 1);
    s.push(req("10.0.0.1", 1900));
    assert.equal(s.activeSessions, 2);
    s.advance(T0 + 2801);
    assert.deepEqual(
      out.map((x) => `${x.ip}#${x.sessionNumber}`),
      ["10.0.0.1#0", "10.0.0.2#0"],
    );
    s.flush();
    s.flush();
    assert.deepEqual(
      out.map((x) => `${x.ip}#${x.sessionNumber}`),
      ["10.0.0.1#0", "10.0.0.2#0", "10.0.0.1#1"],
    );
    assert.equal(s.activeSessions, 0);
  });

  it("takes lines a few seconds out of order into the session without negative gaps", () => {
    const { s, out } = sessionizer();
    for (const t of [100, 105, 103, 98, 110, 109]) s.push(req("10.0.0.1", t));
    s.flush();
    assert.deepEqual(summary(out), [["10.0.0.1", null, 0, -2 + 100, 110, 6]]);
    const f = out[0].features;
    assert.equal(f.session_length, 12);
    assert.equal(f.request_interval, 12 / 5);
    for (const [k, v] of Object.entries(f))
      assert.ok(Number.isFinite(v) && (v >= 0 || k === "request_depth_std"), k);
    // the gaps it saw are all >= 0, so their spread is at most the session's length
    assert.ok(f.variance_request_interval <= f.session_length);
  });
});

describe("runWebSessions", () => {
  const opts = (o: Partial<WebRunOptions> = {}): WebRunOptions => ({
    gapSeconds: 1800,
    key: "ip",
    compat: false,
    weblog: {},
    ...o,
  });

  async function run(files: string[], o: Partial<WebRunOptions> = {}) {
    const sessions: { target: string; session: WebSession }[] = [];
    const stats = await runWebSessions(files, opts(o), (target, session) =>
      sessions.push({ target, session }),
    );
    return { stats, sessions };
  }

  const hosts = [
    "t.org",
    "www.t.org",
    "WWW.T.ORG",
    "t.org:8080",
    "other.org",
    "sub.t.org",
    "-",
    "t.org.evil",
  ];
  const vhostFile = () =>
    write(
      hosts.flatMap((host, h) =>
        [0, 60].map((dt) =>
          vhostCombined({ host, ip: `192.0.2.${h % 2}`, time: T0 + h * 10 + dt, path: `/${h}` }),
        ),
      ),
    );

  it("matches a target as host T, www.T, with a port, or a line without host", () => {
    const m = targetMatcher("T.org");
    assert.deepEqual(
      [
        "t.org",
        "www.t.org",
        "t.org:8080",
        "www.t.org:443",
        null,
        "sub.t.org",
        "t.org.evil",
        "other.org",
        "wwwt.org",
      ].map(m),
      [true, true, true, true, true, false, false, false, false],
    );
  });

  it("keeps only the target's requests, in one sessionizer keyed by IP", async () => {
    const { stats, sessions } = await run([vhostFile()], { target: "t.org" });
    assert.equal(stats.lines, 16);
    assert.equal(stats.requests, 16);
    assert.equal(stats.filtered, 6, "other.org, sub.t.org and t.org.evil");
    assert.deepEqual([...stats.targets.keys()], ["t.org"]);
    const t = stats.targets.get("t.org")!;
    assert.equal(t.requests, 10);
    assert.equal(t.ips, 2);
    assert.equal(t.sessions, 2);
    assert.deepEqual(t.statusClasses, [0, 10, 0, 0, 0]);
    assert.equal(t.first, T0);
    assert.equal(t.last, T0 + 60 + 60);
    assert.ok(sessions.every((s) => s.target === "t.org"));
    assert.deepEqual(sessions.map((s) => [s.session.ip, s.session.requests]).sort(), [
      ["192.0.2.0", 6],
      ["192.0.2.1", 4],
    ]);
  });

  it("without a target, makes one sessionizer per host ('unknown' without host)", async () => {
    const { stats, sessions } = await run([vhostFile()]);
    assert.equal(stats.filtered, 0);
    assert.deepEqual(
      [...stats.targets.keys()].sort(),
      ["other.org", "sub.t.org", "t.org", "t.org.evil", "t.org:8080", "unknown", "www.t.org"].sort(),
    );
    assert.equal(stats.targets.get("www.t.org")?.requests, 4);
    assert.equal(sessions.length, 7 + 1, "www.t.org has one session per IP");
    const plain = write([0, 1, 2].map((i) => combined({ ip: "192.0.2.9", time: T0 + i, path: "/" })));
    const p = await run([plain]);
    assert.deepEqual([...p.stats.targets.keys()], ["unknown"]);
    const q = await run([plain], { target: "t.org" });
    assert.deepEqual([...q.stats.targets.keys()], ["t.org"]);
    assert.equal(q.stats.targets.get("t.org")?.requests, 3);
  });

  it("keeps requests in [from, to) only", async () => {
    const f = write([0, 10, 20, 30, 40].map((dt) => combined({ ip: "192.0.2.5", time: T0 + dt, path: "/" })));
    const { stats, sessions } = await run([f], { from: T0 + 10, to: T0 + 40 });
    assert.equal(stats.filtered, 2);
    assert.equal(sessions.length, 1);
    assert.deepEqual(
      [sessions[0].session.start, sessions[0].session.end, sessions[0].session.requests],
      [T0 + 10, T0 + 30, 3],
    );
    const t = stats.targets.get("unknown")!;
    assert.deepEqual([t.first, t.last, t.requests], [T0 + 10, T0 + 30, 3]);
  });

  it("closes sessions as log time advances, before the end of the input", async () => {
    // two phases of ~2 MiB each (several read batches): 100 IPs, then 100 others 4000 s later
    const phase = (base: number, t0: number) =>
      Array.from({ length: 15_000 }, (_, i) =>
        combined({ ip: `198.51.${base}.${1 + (i % 100)}`, time: t0 + Math.floor(i / 10), path: `/p/${i}` }),
      );
    const f = write([...phase(100, T0), ...phase(101, T0 + 4000)]);
    const emitted: string[] = [];
    const atBatch: number[] = [];
    const stats = await runWebSessions(
      [f],
      opts(),
      (_t, s) => emitted.push(s.ip),
      () => {
        atBatch.push(emitted.length);
      },
    );
    assert.equal(stats.requests, 30_000);
    assert.ok(atBatch.length >= 4, `${atBatch.length} batches`);
    assert.ok(atBatch.includes(100), `the first phase's sessions closed mid-input: ${atBatch.join(",")}`);
    assert.ok(emitted.slice(0, 100).every((ip) => ip.startsWith("198.51.100.")));
    assert.equal(emitted.length, 200);
    assert.equal(atBatch.at(-1), 200);
  });

  it("gives lines a few seconds out of order the features of the sorted lines", async () => {
    const times = [0, 7, 3, 12, 9, 30, 26, 41, 35, 60];
    const line = (t: number, i: number) =>
      combined({ ip: "192.0.2.77", time: T0 + t, path: `/${i % 3 ? "a" : "b"}/${i}` });
    const shuffled = write(times.map(line));
    const sorted = write(
      times
        .map((t, i) => [t, line(t, i)] as const)
        .sort((a, b) => a[0] - b[0])
        .map((x) => x[1]),
    );
    const a = (await run([shuffled])).sessions[0].session.features;
    const b = (await run([sorted])).sessions[0].session.features;
    assert.deepEqual(a, b);
  });
  it("keeps a session open for a line that arrives late but within the gap", async () => {
    const sessions: WebSession[] = [];
    const source: RequestSource = async (onRequest, afterBatch) => {
      onRequest(req("192.0.2.1", 0));
      onRequest(req("192.0.2.2", 1805));
      await afterBatch();
      onRequest(req("192.0.2.1", 1790)); // 15 s late; 1790 s after the IP's previous request
      await afterBatch();
      return { format: "test", lines: 3, requests: 3, bad: new BadLines() };
    };
    await runWebSessions(source, opts(), (_t, s) => sessions.push(s));
    assert.deepEqual(summary(sessions.filter((s) => s.ip === "192.0.2.1")), [
      ["192.0.2.1", null, 0, 0, 1790, 2],
    ]);
  });
});
