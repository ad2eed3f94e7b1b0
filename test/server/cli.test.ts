import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { writeFlowSimulation } from "../../src/simulate/flows.ts";

/** `botscope serve` and `beacons --store` as a user runs them. */
const BIN = join(import.meta.dirname, "../../bin/botscope.js");
let dir: string;
let db: string;
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  BOTSCOPE_PASSPHRASE: "cli-test",
} as NodeJS.ProcessEnv;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "botscope-serve-cli-"));
  db = join(dir, "botscope.db");
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, "--db", db, ...args], { encoding: "utf8", env: { ...env, ...extra } });

test("serve refuses a public address without a token, and plain IPs without the passphrase", () => {
  const open = cli(["serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(open.status, 2, open.stderr);
  assert.match(open.stderr, /not loopback: give an access token/);
  const reveal = cli(["serve", "--port", "0", "--reveal-ips"], { BOTSCOPE_PASSPHRASE: "" });
  assert.notEqual(reveal.status, 0);
  assert.match(reveal.stderr, /--reveal-ips needs the passphrase/);
});

test("beacons --store, then serve shows the periodicity run until stopped", async () => {
  const flows = join(dir, "flows.binetflow");
  await writeFlowSimulation(
    { seed: 3, hours: 2, backgroundFlowsPerMinute: 30 },
    flows,
    join(dir, "labels.json"),
  );
  const stored = cli(["beacons", flows, "--store"]);
  assert.equal(stored.status, 0, stored.stderr);
  assert.match(stored.stderr, /stored as periodicity run 1/);

  const child = spawn(process.execPath, [BIN, "--db", db, "serve", "--port", "0", "--json"], { env });
  let out = "";
  child.stdout.on("data", (b) => {
    out += b;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  try {
    for (let i = 0; i < 200 && !out.includes("}"); i++) await new Promise((r) => setTimeout(r, 50));
    const { url } = JSON.parse(out) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const runs = (await (await fetch(`${url}api/periodicity/runs`)).json()) as {
      id: number;
      hosts: number;
    }[];
    assert.equal(runs.length, 1);
    const run = (await (await fetch(`${url}api/periodicity/runs/1`)).json()) as {
      hosts: { host: string | null; peers: number }[];
    };
    // the p2p bot with its 5 peers (the infected hosts' C&C beacons may show too), hosts only as hashes
    assert.ok(
      run.hosts.some((h) => h.peers === 5),
      JSON.stringify(run.hosts),
    );
    assert.ok(run.hosts.every((h) => h.host === null));
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0, "Ctrl-C stops it cleanly");
});
