/**
 * `botscope beacons` end to end (as a child process, through test/periodicity/cli-main.ts, which wires
 * the command the way src/cli/main.ts does): relbot output byte for byte, relbot's `--config`, JSON,
 * clearing-house reports to a file and to an HTTP endpoint with a token, and usage errors.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const golden = join(root, "../shared/data/periodicity/relbot-golden");
const fivePeers = join(golden, "synthetic_30min_5peers.flows.txt");
const work = mkdtempSync(join(tmpdir(), "botscope-beacons-cli-"));
const skipGolden = existsSync(fivePeers) ? false : `golden data absent (${golden})`;

function botscope(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((done) => {
    // tsx resolved from here: the child runs in a temporary directory
    const child = spawn(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(root, "test/periodicity/cli-main.ts"), ...args],
      {
        cwd: work,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      },
    );
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => done({ code, out: Buffer.concat(out), err }));
  });
}

describe("botscope beacons", () => {
  it("--mode relbot prints the original's bytes; --config takes relbot's timedetector.json", {
    skip: skipGolden,
  }, async () => {
    const r = await botscope(["beacons", fivePeers, "--mode", "relbot"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out, readFileSync(join(golden, "synthetic_30min_5peers.relbot_cpp.out")));
    const conf = join(work, "timedetector.json");
    writeFileSync(
      conf,
      JSON.stringify({
        times: [1800000],
        DISP_COEF: 0.5,
        MEAN_COEF: 0.5,
        FREE_COEF: 0,
        MAX_COEF: 0.5,
        MIN_VAL: 4.0,
      }),
    );
    const c = await botscope(["beacons", fivePeers, "--mode", "relbot", "--config", conf]);
    assert.equal(c.code, 0, c.err);
    assert.equal(c.out.toString(), "=============================\n10.0.0.1\n1800000 -> 4\n");
  });

  it("keepalive --json, and clearing-house reports to a file", { skip: skipGolden }, async () => {
    const out = join(work, "reports.json");
    const r = await botscope([
      "beacons",
      fivePeers,
      "--json",
      "--report",
      "cch",
      "--min-idx",
      "5",
      "--ip-mode",
      "anon",
      "--report-out",
      out,
    ]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out.toString());
    assert.equal(j.mode, "keepalive");
    assert.equal(j.hosts.length, 1);
    assert.equal(j.hosts[0].peers, 5);
    assert.equal(j.hosts[0].contacts.length, 5);
    assert.equal(j.report.reports, 1);
    const reports = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(reports.length, 1);
    assert.equal(reports[0].source_value, "10.0.0.0");
    assert.equal(reports[0].src_mode, "anon");
    assert.equal(reports[0].report_category, "eu.acdc.bot");
  });

  it("--submit POSTs with the token, spools on failure and resends on the next run", {
    skip: skipGolden,
  }, async () => {
    const got: { auth?: string; body: { source_value: string } }[] = [];
    let down = true;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        if (down) return void res.writeHead(502).end();
        got.push({ auth: req.headers.authorization, body: JSON.parse(body) });
        res.writeHead(200).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/reports`;
    const args = [
      "beacons",
      fivePeers,
      "--mode",
      "relbot",
      "--report",
      "cch",
      "--submit",
      url,
      "--retries",
      "1",
      "--retry-delay",
      "5",
    ];
    try {
      const first = await botscope(args, { BOTSCOPE_CCH_TOKEN: "s3cret" });
      assert.equal(first.code, 0, first.err);
      assert.match(first.err, /1 report\(s\) kept in botscope-cch-spool/);
      assert.equal(got.length, 0);
      down = false;
      const second = await botscope(args, { BOTSCOPE_CCH_TOKEN: "s3cret" });
      assert.equal(second.code, 0, second.err);
      assert.match(second.err, /sent 2 \(1 from the spool\), 0 spooled/);
      assert.deepEqual(
        got.map((g) => g.body.source_value),
        ["10.0.0.1", "10.0.0.1"],
      );
      assert.ok(got.every((g) => g.auth === 'Token token="s3cret"'));
      const noToken = await botscope(args);
      assert.equal(noToken.code, 1);
      assert.match(noToken.err, /BOTSCOPE_CCH_TOKEN/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("usage errors exit 2 with a one-line message", async () => {
    const file = join(work, "tiny.txt");
    writeFileSync(file, "1700000000000 10.0.0.1 10.0.0.2\n");
    for (const args of [
      ["beacons", file, "--mode", "relbot", "--periods", "auto"],
      ["beacons", file, "--report", "cch"],
      ["beacons", file, "--periods", "soon"],
      ["beacons", file, "--allow-services", "ntp,bogus!"],
    ]) {
      const r = await botscope(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.doesNotMatch(r.err, /\n\s+at /);
    }
  });
});
