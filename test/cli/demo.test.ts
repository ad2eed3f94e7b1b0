import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

test("the demo finds the simulated attacks, recognises the returning botnet and the infected hosts", () => {
  const out = mkdtempSync(join(tmpdir(), "botscope-demo-"));
  const r = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "../../bin/botscope.js"), "demo", "--out", out, "--no-serve"],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  const text = r.stdout;
  assert.match(text, /incident 1: 2 attack\(s\)/);
  assert.match(text, /botnet-1, seen before/);
  assert.match(text, /incident 2: 1 attack\(s\)/);
  const truth = JSON.parse(readFileSync(join(out, "flows.labels.json"), "utf8")) as {
    hosts: Record<string, { role: string }>;
  };
  const bots = Object.entries(truth.hosts)
    .filter(([, h]) => h.role !== "normal")
    .map(([ip]) => ip)
    .sort();
  const red = /red: ([^;]*);/.exec(text)?.[1].split(", ").sort();
  assert.deepEqual(red, bots);
  const p2p = Object.entries(truth.hosts).find(([, h]) => h.role === "p2p")![0];
  assert.match(text, new RegExp(`periodic: ${p2p.replaceAll(".", "\\.")} keeps 5 peer`));
});
