import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { simulateFlows } from "../../src/simulate/flows.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-flows-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs command lines in one child process (cli-driver.ts); one result per command line. */
function cli(...runs: string[][]): Result[] {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "cli-driver.ts"), JSON.stringify(runs)],
    {
      encoding: "utf8",
      maxBuffer: 1 << 26,
      cwd: join(import.meta.dirname, "../.."),
    },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Result[];
}

describe("flows and ml commands", () => {
  const flows = join(dir, "sim.binetflow");
  const models = join(dir, "models");
  mkdirSync(models);
  writeFileSync(flows, `${simulateFlows({ seed: 3, hours: 1 }).lines.join("\n")}\n`);

  test("train, detect (--json), evaluate, features, ml train and predict", () => {
    const model = join(models, "m.forest");
    const csv = join(dir, "f.csv");
    const csv2 = join(dir, "g.csv");
    const csvModel = join(dir, "csv.forest");
    const pred = join(dir, "p.csv");
    const [t, d, human, e, f, g, mt, mp] = cli(
      ["flows", "train", flows, "--model", model, "--trees", "20", "--seed", "2", "--json"],
      ["flows", "detect", flows, "--models", models, "--internal", "10.20.0.0/16", "--json"],
      ["flows", "detect", flows, "--models", models, "--internal=10.20.0.0/16"],
      ["flows", "evaluate", flows, "--model", model, "--internal", "10.20.0.0/16"],
      ["flows", "features", flows, "--out", csv, "--no-aggregates"],
      ["flows", "features", flows, "--out", csv2],
      ["ml", "train", "--csv", csv2, "--label", "label", "--model", csvModel, "--trees", "10", "--json"],
      ["ml", "predict", "--csv", csv2, "--model", csvModel, "--out", pred],
    );
    assert.equal(t.code, 0, t.err);
    assert.equal(JSON.parse(t.out).trees, 20);
    assert.equal(d.code, 0, d.err);
    const s = JSON.parse(d.out);
    assert.ok(s.red.length >= 1);
    assert.equal(s.models[0].name, "m");
    assert.match(human.out, /red: 10\.20\./);
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /Garcia et al\. per IP and window/);
    assert.equal(f.code, 0, f.err);
    const header = readFileSync(csv, "utf8").split("\n")[0].split(",");
    assert.equal(header.at(-1), "label");
    assert.ok(!header.some((h) => h.startsWith("src_host_")));
    assert.equal(g.code, 0, g.err);
    assert.equal(mt.code, 0, mt.err);
    assert.deepEqual(JSON.parse(mt.out).classes, [0, 1]);
    assert.equal(mp.code, 0, mp.err);
    const rows = readFileSync(pred, "utf8").trimEnd().split("\n");
    assert.equal(rows[0], "predicted,proba_0,proba_1");
    const labels = readFileSync(csv2, "utf8")
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((l) => l.split(",").at(-1));
    assert.equal(rows.length - 1, labels.length);
    const right = rows.slice(1).filter((r, i) => r.split(",")[0] === labels[i]).length;
    assert.ok(right / labels.length > 0.99);
  });

  test("mistakes give one-line errors and usage exit codes", () => {
    const notModel = join(dir, "not-a-model");
    writeFileSync(notModel, "hello\n");
    const text = join(dir, "text.csv");
    writeFileSync(text, "a,b,label\n1,2,0\n3,x,1\n");
    const good = join(dir, "good.csv");
    writeFileSync(good, "a,b,label\n1,2,0\n3,4,1\n");
    const [noModels, bad, step, missing, ev, t, nolabel] = cli(
      ["flows", "detect", flows],
      ["flows", "detect", flows, "--models", models, "--internal", "nonsense"],
      ["flows", "train", flows, "--model", join(dir, "x.forest"), "--window", "60", "--step", "90"],
      ["flows", "detect", join(dir, "nope.binetflow"), "--models", models],
      ["flows", "evaluate", flows, "--model", notModel],
      ["ml", "train", "--csv", text, "--label", "label", "--model", join(dir, "t.forest")],
      ["ml", "train", "--csv", good, "--label", "class", "--model", join(dir, "t.forest")],
    );
    assert.equal(noModels.code, 2, "--models is required");
    assert.match(noModels.err, /--models/);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not an IPv4 CIDR: nonsense/);
    assert.equal(step.code, 2);
    assert.match(step.err, /--step \(90\) longer than --window \(60\)/);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such file/);
    assert.equal(ev.code, 1);
    assert.match(ev.err, /not-a-model: not a botscope forest model/);
    assert.equal(t.code, 1);
    assert.match(t.err, /text.csv:3: column b is "x", not a number/);
    assert.equal(nolabel.code, 2);
    assert.match(nolabel.err, /no column "class"/);
  });
});
