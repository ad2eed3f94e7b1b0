/**
 * Clearing-house reports: the JSON shape of relbot's submitter for plain, anon (/24, /48) and pseudo
 * (keyed hash) addresses, MIN_IDX selection from both modes, and delivery: a real HTTP server on
 * 127.0.0.1 that fails first and then accepts, retries with backoff, the spool, and resending on the
 * next run without losing a report.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { beaconReports, runBeacons } from "../../src/app/beacons.ts";
import { IpHasher } from "../../src/privacy/ip-hash.ts";
import {
  anonymizeIp,
  buildCchReport,
  type CchReport,
  formatCchReports,
  KEEPALIVE_REPORT_TYPE,
  RELBOT_REPORT_TYPE,
} from "../../src/report/cch.ts";
import { spooledFiles, submitReports } from "../../src/report/cch-submit.ts";

const work = mkdtempSync(join(tmpdir(), "botscope-cch-"));
const now = new Date("2024-02-08T15:16:39.842Z");

describe("report shape", () => {
  it("plain IPv4: the original's fields, in its order", () => {
    const r = buildCchReport("147.32.80.37", 0.5, { mode: "plain", reportType: RELBOT_REPORT_TYPE, now });
    assert.deepEqual(Object.keys(r), [
      "report_category",
      "report_type",
      "timestamp",
      "source_key",
      "source_value",
      "confidence_level",
      "version",
      "report_subcategory",
      "ip_version",
      "src_ip_v4",
      "src_mode",
    ]);
    assert.deepEqual(r, {
      report_category: "eu.acdc.bot",
      report_type: "RelBot detected suspicious host activities",
      timestamp: "2024-02-08T15:16:39Z",
      source_key: "ip",
      source_value: "147.32.80.37",
      confidence_level: 0.5,
      version: 1,
      report_subcategory: "other",
      ip_version: 4,
      src_ip_v4: "147.32.80.37",
      src_mode: "plain",
    });
  });

  it("plain IPv6 uses src_ip_v6 and ip_version 6", () => {
    const r = buildCchReport("2001:db8:1:2::5", 0.7, { mode: "plain", reportType: "t", now });
    assert.equal(r.ip_version, 6);
    assert.equal(r.src_ip_v6, "2001:db8:1:2::5");
    assert.equal(r.src_ip_v4, undefined);
  });

  it("anon truncates to /24 and /48", () => {
    assert.equal(anonymizeIp("147.32.80.37"), "147.32.80.0");
    assert.equal(anonymizeIp("2001:db8:1:2::5"), "2001:db8:1::");
    assert.equal(anonymizeIp("fe80::fced:c7ff:fe31:e821%eth0"), "fe80::");
    assert.equal(anonymizeIp("2001:0db8:abcd:0012:0000:0000:0000:0001"), "2001:db8:abcd::");
    assert.equal(anonymizeIp("::ffff:192.0.2.77"), "192.0.2.0");
    assert.throws(() => anonymizeIp("host-a"), /not an IPv4 or IPv6 address/);
    const r4 = buildCchReport("147.32.80.37", 0.5, { mode: "anon", reportType: "t", now });
    assert.equal(r4.source_value, "147.32.80.0");
    assert.equal(r4.src_ip_v4, "147.32.80.0");
    assert.equal(r4.src_mode, "anon");
    const r6 = buildCchReport("2001:db8:1:2::5", 0.5, { mode: "anon", reportType: "t", now });
    assert.equal(r6.src_ip_v6, "2001:db8:1::");
  });

  it("pseudo is the keyed hash: stable under one key, different under another, no address inside", () => {
    const hasher = IpHasher.fromPassphrase("test passphrase", { N: 1024, r: 8, p: 1 });
    const r = buildCchReport("147.32.80.37", 0.5, { mode: "pseudo", reportType: "t", hasher, now });
    assert.equal(r.source_value, hasher.hash("147.32.80.37"));
    assert.equal(r.src_ip_v4, r.source_value);
    assert.match(r.source_value, /^[A-Za-z0-9_-]{22}$/);
    assert.doesNotMatch(JSON.stringify(r), /147\.32/);
    assert.equal(r.src_mode, "pseudo");
    const other = IpHasher.fromPassphrase("another", { N: 1024, r: 8, p: 1 });
    assert.notEqual(other.hash("147.32.80.37"), r.source_value);
    assert.throws(() => buildCchReport("1.2.3.4", 0.5, { mode: "pseudo", reportType: "t", now }), /hash key/);
  });

  it("reports as a JSON array or JSON lines", () => {
    const r = buildCchReport("1.2.3.4", 0.5, { mode: "plain", reportType: "t", now });
    assert.deepEqual(JSON.parse(formatCchReports([r, r])), [r, r]);
    assert.equal(formatCchReports([r, r], true).trim().split("\n").length, 2);
  });
});

describe("which hosts are reported (MIN_IDX)", () => {
  const file = join(work, "two-hosts.txt");
  const lines: string[] = [];
  // host A: 3 periodic peers at 10 min; host B: 1
  for (const [src, peers] of [
    ["10.0.0.1", ["198.51.100.1", "198.51.100.2", "198.51.100.3"]],
    ["10.0.0.2", ["198.51.100.9"]],
  ] as const)
    peers.forEach((p, i) => {
      for (let k = 0; k < 12; k++) lines.push(`${1_700_000_000_000 + i * 77_000 + k * 600_000} ${src} ${p}`);
    });
  writeFileSync(file, `${lines.join("\n")}\n`);

  it("relbot mode: count >= MIN_IDX for some period, fixed confidence", async () => {
    const run = await runBeacons({ files: [file], mode: "relbot" });
    const all = beaconReports(run, { minIdx: 1, mode: "plain", now });
    assert.deepEqual(
      all.map((r) => r.source_value),
      ["10.0.0.1", "10.0.0.2"],
    );
    assert.ok(all.every((r) => r.confidence_level === 0.5 && r.report_type === RELBOT_REPORT_TYPE));
    assert.deepEqual(
      beaconReports(run, { minIdx: 2, mode: "plain", now }).map((r) => r.source_value),
      ["10.0.0.1"],
    );
    assert.equal(beaconReports(run, { minIdx: 4, mode: "plain", now }).length, 0);
    assert.equal(
      beaconReports(run, { minIdx: 1, mode: "plain", confidence: 0.8, now })[0].confidence_level,
      0.8,
    );
  });

  it("keepalive mode: peers per period >= MIN_IDX, each host's own confidence", async () => {
    const run = await runBeacons({ files: [file], mode: "keepalive" });
    const r = beaconReports(run, { minIdx: 2, mode: "anon", now });
    assert.equal(r.length, 1);
    assert.equal(r[0].source_value, "10.0.0.0");
    assert.equal(r[0].report_type, KEEPALIVE_REPORT_TYPE);
    assert.ok(r[0].confidence_level > 0.9 && r[0].confidence_level <= 1);
  });
});

describe("delivery: retries, spool, resend", () => {
  let server: Server;
  let url = "";
  const received: { body: CchReport; auth?: string; key?: string }[] = [];
  let failuresLeft = 0;
  let status = 503;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(status).end("try later");
          return;
        }
        received.push({
          body: JSON.parse(body) as CchReport,
          auth: req.headers.authorization,
          key: req.headers["x-api-key"] as string | undefined,
        });
        res.writeHead(201, { "content-type": "application/json" }).end('{"id": 1}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/reports`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const reports = (n: number, prefix: string) =>
    Array.from({ length: n }, (_, i) =>
      buildCchReport(`${prefix}.${i + 1}`, 0.5, { mode: "plain", reportType: "t", now }),
    );

  it("a failure is retried with backoff until the endpoint accepts", async () => {
    const spool = join(work, "spool-a");
    received.length = 0;
    failuresLeft = 2;
    const attempts: number[] = [];
    const r = await submitReports(reports(3, "192.0.2"), {
      url,
      token: "secret",
      spoolDir: spool,
      retries: 3,
      backoffMs: 5,
      onAttemptFailed: (_f, a) => attempts.push(a),
    });
    assert.deepEqual(attempts, [1, 2]);
    assert.deepEqual(r, { sent: 3, resent: 0, spooled: 0, rejected: 0, lastError: "HTTP 503" });
    assert.equal(received.length, 3);
    assert.ok(received.every((x) => x.auth === 'Token token="secret"'));
    assert.deepEqual(spooledFiles(spool), []);
  });

  it("when the endpoint stays down nothing is lost: the reports wait in the spool and go out next run", async () => {
    const spool = join(work, "spool-b");
    received.length = 0;
    failuresLeft = 1000;
    const first = reports(4, "198.51.100");
    const r1 = await submitReports(first, { url, token: "k", spoolDir: spool, retries: 2, backoffMs: 2 });
    assert.equal(r1.sent, 0);
    assert.equal(r1.spooled, 4);
    assert.equal(spooledFiles(spool).length, 4);
    assert.equal(received.length, 0);
    // next run: the endpoint is back; old reports first, then the new ones
    failuresLeft = 0;
    const second = reports(2, "203.0.113");
    const r2 = await submitReports(second, { url, token: "k", spoolDir: spool, retries: 2, backoffMs: 2 });
    assert.equal(r2.sent, 6);
    assert.equal(r2.resent, 4);
    assert.equal(r2.spooled, 0);
    assert.deepEqual(
      received.map((x) => x.body.source_value),
      [...first, ...second].map((x) => x.source_value),
    );
  });

  it("an unreachable endpoint spools too; a refused report is kept aside, the others go on", async () => {
    const spool = join(work, "spool-c");
    const r1 = await submitReports(reports(2, "192.0.2"), {
      url: "http://127.0.0.1:1/api/v2/reports",
      spoolDir: spool,
      retries: 1,
      backoffMs: 1,
      timeoutMs: 2000,
    });
    assert.equal(r1.sent, 0);
    assert.equal(r1.spooled, 2);
    received.length = 0;
    failuresLeft = 1;
    status = 400;
    const r2 = await submitReports([], {
      url,
      token: "t",
      tokenHeader: "X-Api-Key",
      spoolDir: spool,
      retries: 1,
      backoffMs: 1,
    });
    status = 503;
    assert.equal(r2.rejected, 1);
    assert.equal(r2.sent, 1);
    assert.equal(received[0].key, "t");
    assert.equal(received[0].auth, undefined);
    assert.ok(existsSync(join(spool, "rejected")));
    assert.equal(readdirSync(join(spool, "rejected")).length, 1);
  });
});
