import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { buildProgram } from "../../src/cli/main.ts";
import { writeSimulatedCapture } from "../../src/simulate/capture.ts";

const bin = join(import.meta.dirname, "../../bin/botscope.js");
const work = mkdtempSync(join(tmpdir(), "botscope-cli-"));

function botscope(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: work,
    encoding: "utf8",
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

writeFileSync(join(work, "fast.yaml"), "privacy:\n  scrypt: { N: 1024 }\n");

test("--help lists the commands and exits 0", () => {
  const r = botscope(["--help"]);
  assert.equal(r.code, 0);
  for (const c of ["demo", "simulate", "incidents", "export", "keys", "config"])
    assert.match(r.out, new RegExp(c));
});

test("a command loads only its own module; help and unknown commands get them all", async () => {
  const names = (p: { commands: readonly { name(): string }[] }) => p.commands.map((c) => c.name());
  const all = names(await buildProgram());
  assert.deepEqual(all, [
    ...["demo", "simulate", "incidents", "export", "keys", "ml", "flows", "beacons", "anomaly"],
    ...["watch", "collect", "config", "serve", "web", "cluster", "clusters", "label", "attacks", "botnets"],
  ]);
  assert.deepEqual(names(await buildProgram(["flows", "convert", "x.pcap"])), ["flows"]);
  assert.deepEqual(names(await buildProgram(["--db", "flows.db", "--config=x.yaml", "ml", "train"])), ["ml"]);
  // the commands of one module come together, in help order
  assert.deepEqual(names(await buildProgram(["attacks", "list"])), [
    "cluster",
    "clusters",
    "label",
    "attacks",
    "botnets",
  ]);
  for (const argv of [[], ["--help"], ["flowz"], ["--db", "flows"]])
    assert.deepEqual(names(await buildProgram(argv)), all, argv.join(" "));
  // every command of the full program is found by its name alone
  for (const name of all) assert.ok(names(await buildProgram([name])).includes(name), name);
});

test("usage errors exit 2 with a message, no stack trace", () => {
  for (const args of [
    ["frobnicate"],
    ["simulate", "web", "--seed", "x", "--out", "a.log"],
    ["simulate", "web"],
  ]) {
    const r = botscope(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, /error/);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  const bad = botscope(["simulate", "web", "--start", "yesterday-ish", "--out", "a.log"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /ISO-8601/);
});

test("user errors exit 1 with one line", () => {
  const r = botscope(["keys", "add", "--db", join(work, "k.db")]);
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split("\n").length, 1);
  assert.match(r.err, /BOTSCOPE_PASSPHRASE/);
  const c = botscope(["config", "show", "--config", "missing.yaml"]);
  assert.equal(c.code, 1);
  assert.match(c.err, /config file not found: missing.yaml/);
  writeFileSync(join(work, "bad.yaml"), "web:\n  sessionGapSeconds: soon\n");
  const b = botscope(["config", "show", "--config", "bad.yaml"]);
  assert.equal(b.code, 1);
  assert.match(b.err, /web\.sessionGapSeconds/);
});

test("config show --json masks secrets and honours the environment", () => {
  const r = botscope(["config", "show", "--json"], {
    BOTSCOPE_PASSPHRASE: "hunter2",
    BOTSCOPE_DB: "/tmp/x.db",
  });
  assert.equal(r.code, 0, r.err);
  const shown = JSON.parse(r.out);
  assert.equal(shown.config.privacy.passphrase, "********");
  assert.equal(shown.config.store.url, "/tmp/x.db");
  assert.ok(!r.out.includes("hunter2"));
});

test("keys add and list, wrong passphrase writes nothing", () => {
  const db = join(work, "keys.db");
  const env = { BOTSCOPE_PASSPHRASE: "first" };
  const a = botscope(["--config", "fast.yaml", "--db", db, "keys", "add", "--comment", "one", "--json"], env);
  assert.equal(a.code, 0, a.err);
  const added = JSON.parse(a.out);
  assert.match(added.fingerprint, /^[0-9a-f]{32}$/);
  botscope(["--config", "fast.yaml", "--db", db, "keys", "add"], { BOTSCOPE_PASSPHRASE: "second" });
  const l = botscope(["--db", db, "keys", "list", "--json"]);
  const keys = JSON.parse(l.out);
  assert.equal(keys.length, 2);
  assert.ok(!readFileSync(db).includes("first"));
});

test("simulate web writes the same bytes for the same seed", () => {
  const a = botscope(["simulate", "web", "--seed", "7", "--hours", "3", "--out", "a.log", "--json"]);
  assert.equal(a.code, 0, a.err);
  const b = botscope(["simulate", "web", "--seed", "7", "--hours", "3", "--out", "b.log"]);
  assert.equal(b.code, 0, b.err);
  assert.deepEqual(readFileSync(join(work, "a.log")), readFileSync(join(work, "b.log")));
  const summary = JSON.parse(a.out);
  assert.equal(summary.lines, readFileSync(join(work, "a.log"), "utf8").trim().split("\n").length);
  assert.ok(JSON.parse(readFileSync(join(work, "a.labels.json"), "utf8")).actors);
});

test("simulate flows writes binetflow with labels", () => {
  const r = botscope(["simulate", "flows", "--seed", "3", "--hours", "1", "--out", "f.binetflow", "--json"]);
  assert.equal(r.code, 0, r.err);
  const lines = readFileSync(join(work, "f.binetflow"), "utf8").trim().split("\n");
  assert.match(
    lines[0],
    /^StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label$/,
  );
  assert.equal(JSON.parse(r.out).flows, lines.length - 1);
});

test("the bundled CLI (dist/cli, which bin/botscope.js runs when it is fresh) does what the sources do", {
  skip: !existsSync(join(import.meta.dirname, "../../dist/cli/main.js")) && "dist/cli is not built",
}, () => {
  const capture = join(work, "bundle.pcap");
  writeSimulatedCapture(capture, { seed: 4, hours: 0.01 });
  const args = ["flows", "convert", capture, "--to", "binetflow", "--status-interval", "5"];
  const bundled = spawnSync(
    process.execPath,
    [join(import.meta.dirname, "../../dist/cli/main.js"), ...args, "--out", join(work, "b.binetflow")],
    { encoding: "utf8" },
  );
  const sources = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "../../src/cli/main.ts"),
      ...args,
      "--out",
      join(work, "s.binetflow"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.equal(sources.status, 0, sources.stderr);
  assert.equal(bundled.stdout.replace("b.binetflow", "s.binetflow"), sources.stdout);
  const lines = readFileSync(join(work, "b.binetflow"), "utf8");
  assert.equal(lines, readFileSync(join(work, "s.binetflow"), "utf8"));
  assert.ok(lines.split("\n").length > 100);
});
