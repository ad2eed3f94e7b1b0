import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { detectFlows, evaluateFlows, trainFlows, writeFlowFeatures } from "../../src/app/flows.ts";
import { currentKey, ipHasher } from "../../src/app/keys.ts";
import { parseConfig } from "../../src/core/config.ts";
import { UserError } from "../../src/core/errors.ts";
import { loadFlowModel, loadModelsDir } from "../../src/flows/models.ts";
import { decodeForest, encodeForest } from "../../src/ml/forest-format.ts";
import { IpCipher } from "../../src/privacy/ip-cipher.ts";
import { type FlowGroundTruth, simulateFlows } from "../../src/simulate/flows.ts";
import { hostScoresOfRun, listFlowRuns } from "../../src/store/flow-runs.ts";
import { openStore } from "../../src/store/open.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-flows-"));
const models = join(dir, "models");
const trainFile = join(dir, "train.binetflow");
const testFile = join(dir, "test.binetflow");
const INTERNAL = ["10.20.0.0/16"];
let truth: FlowGroundTruth;

function write(path: string, seed: number): FlowGroundTruth {
  const sim = simulateFlows({ seed, hours: 1.5 });
  writeFileSync(path, `${sim.lines.join("\n")}\n`);
  return sim.truth;
}

const hostsOf = (t: FlowGroundTruth, role: string) =>
  Object.entries(t.hosts)
    .filter(([, h]) => h.role === role)
    .map(([ip]) => ip);

before(async () => {
  mkdirSync(join(models, "unused"), { recursive: true });
  write(trainFile, 1);
  truth = write(testFile, 2);
  const s = await trainFlows({
    files: [trainFile],
    windowSeconds: 300,
    stepSeconds: 150,
    modelPath: join(models, "sim.forest"),
    seed: 1,
    trees: 40,
  });
  assert.ok(s.byLabel.botnet > 0 && s.byLabel.normal > 0);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe("flow detection on simulated captures", () => {
  test("infected hosts are flagged red, normal hosts are not", async () => {
    const s = await detectFlows({ files: [testFile], modelsDir: models, internal: INTERNAL });
    for (const ip of hostsOf(truth, "infected")) assert.ok(s.red.includes(ip), `infected ${ip} red`);
    for (const ip of hostsOf(truth, "normal")) {
      assert.ok(!s.red.includes(ip), `normal ${ip} not red`);
    }
    const infected = s.hosts.find((h) => h.host === hostsOf(truth, "infected")[0]);
    assert.ok(infected?.timeline && infected.timeline.length > 5);
    assert.match(infected.worstReason, /windows in a row/);
    assert.ok(infected.firstRed !== null);
    assert.equal(s.models.length, 1);
    assert.equal(s.windows, s.windowing.windows);
  });

  test("models directory: unused/ is ignored, files that are not models are skipped", async () => {
    writeFileSync(join(models, "unused", "broken.forest"), "botscope-forest 1\n{nonsense\n");
    writeFileSync(join(models, "README.txt"), "models go here\n");
    const { models: loaded, skipped } = await loadModelsDir(models);
    assert.deepEqual(
      loaded.map((m) => m.name),
      ["sim"],
    );
    assert.deepEqual(skipped, ["README.txt"]);
    // a damaged model outside unused/ is an error naming the file
    writeFileSync(join(models, "broken.forest"), "botscope-forest 1\n{nonsense\n");
    await assert.rejects(
      loadModelsDir(models),
      (e: Error) => e instanceof UserError && /broken.forest: the header is not valid JSON/.test(e.message),
    );
    rmSync(join(models, "broken.forest"));
    const empty = join(dir, "empty-models");
    mkdirSync(join(empty, "unused"), { recursive: true });
    await assert.rejects(loadModelsDir(empty), /no models in/);
  });

  test("model save/load round trip: identical detections and predictions", async () => {
    const path = join(models, "sim.forest");
    const loaded = await loadFlowModel(path);
    const again = decodeForest(encodeForest(loaded.forest), path);
    const copy = join(dir, "copy.forest");
    writeFileSync(copy, encodeForest(again));
    const reloaded = await loadFlowModel(copy);
    const a = await detectFlows({ files: [testFile], models: [loaded], internal: INTERNAL });
    const b = await detectFlows({
      files: [testFile],
      models: [{ ...reloaded, name: loaded.name }],
      internal: INTERNAL,
    });
    assert.deepEqual(
      b.hosts.map((h) => [h.host, h.worst, h.maxScore, h.botnetFlows]),
      a.hosts.map((h) => [h.host, h.worst, h.maxScore, h.botnetFlows]),
    );
    assert.deepEqual(b.predictedBotnet, a.predictedBotnet);
    assert.ok(readFileSync(path).subarray(0, 17).equals(Buffer.from("botscope-forest 1")));
  });

  test("several models with different windows and features run side by side", async () => {
    const two = join(dir, "two-models");
    mkdirSync(two);
    writeFileSync(join(two, "sim.forest"), readFileSync(join(models, "sim.forest")));
    await trainFlows({
      files: [trainFile],
      windowSeconds: 600,
      stepSeconds: 300,
      aggregates: false,
      modelPath: join(two, "per-flow.forest"),
      trees: 10,
    });
    const s = await detectFlows({ files: [testFile], modelsDir: two, internal: INTERNAL });
    assert.deepEqual(
      s.models.map((m) => [m.name, m.windowSeconds]),
      [
        ["per-flow", 600],
        ["sim", 300],
      ],
    );
    const infected = hostsOf(truth, "infected")[0];
    const perModel = s.hosts.filter((h) => h.host === infected);
    assert.deepEqual(perModel.map((h) => h.model).sort(), ["per-flow", "sim"]);
    const timeline = perModel.find((h) => h.model === "per-flow")?.timeline ?? [];
    assert.ok(timeline.length > 2);
    assert.ok(timeline.every((p, i) => i === 0 || p.start - timeline[i - 1].start >= 300));
  });

  test("evaluate: per-flow metrics and Garcia et al. per-IP metrics", async () => {
    const e = await evaluateFlows({
      files: [testFile],
      modelPath: join(models, "sim.forest"),
      internal: INTERNAL,
    });
    assert.ok(e.perFlow.rows > 1000);
    assert.ok(e.perFlow.f1 > 0.95, `flow F1 ${e.perFlow.f1}`);
    assert.ok(e.garcia.tpr > 0.9, `TPR ${e.garcia.tpr}`);
    assert.ok(e.garcia.fpr < 0.05, `FPR ${e.garcia.fpr}`);
    assert.ok(e.garciaByStatus.fpr === 0);
    const normal = e.hosts.filter((h) => h.truth === "normal");
    assert.equal(normal.length, hostsOf(truth, "normal").length);
    assert.ok(normal.every((h) => h.worst !== "red"));
  });

  test("features CSV: the labelled rows training sees, or every row", async () => {
    let text = "";
    const s = await writeFlowFeatures({
      files: [testFile],
      windowSeconds: 300,
      stepSeconds: 150,
      write: (t) => {
        text += t;
      },
    });
    const lines = text.trimEnd().split("\n");
    assert.equal(lines.length, s.rows + 1);
    assert.equal(lines[0].split(",").at(-1), "label");
    assert.equal(lines[0].split(",").length, s.columns.length);
    assert.ok(lines.slice(1).every((l) => l.endsWith(",1") || l.endsWith(",0")));
    let all = 0;
    const t = await writeFlowFeatures({
      files: [testFile],
      windowSeconds: 300,
      stepSeconds: 150,
      all: true,
      write: (x) => {
        all += x.split("\n").length - 1;
      },
    });
    assert.equal(all - 1, t.windowing.rows);
  });

  test("training from a labels file of host ranges", async () => {
    const labels = join(dir, "labels.csv");
    const infected = hostsOf(truth, "infected");
    writeFileSync(labels, `host,from,to,class\n${infected.map((ip) => `${ip},,,botnet`).join("\n")}\n`);
    const s = await trainFlows({
      files: [testFile],
      windowSeconds: 300,
      stepSeconds: 150,
      modelPath: join(dir, "from-labels.forest"),
      labelsFile: labels,
      unlisted: "normal",
      trees: 10,
    });
    assert.ok(s.byLabel.botnet > 0 && s.byLabel.normal > s.byLabel.botnet);
    await assert.rejects(
      trainFlows({
        files: [testFile],
        windowSeconds: 300,
        stepSeconds: 150,
        modelPath: join(dir, "x.forest"),
        labelsFile: labels,
        unlisted: "background",
        trees: 10,
      }),
      /needs botnet and normal flows/,
    );
  });

  test("--store: a flow run and host scores, hosts hashed and encrypted", async () => {
    const config = parseConfig({ privacy: { passphrase: "pw", scrypt: { N: 1024 } } });
    const store = await openStore(join(dir, "botscope.db"));
    try {
      const s = await detectFlows({
        files: [testFile],
        modelsDir: models,
        internal: INTERNAL,
        store: { store, config },
      });
      assert.ok(s.runId !== null);
      const [run] = await listFlowRuns(store, "detect");
      assert.equal(run.id, s.runId);
      assert.ok(run.finished_at !== null && run.key_id !== null);
      assert.equal(run.window_seconds, 300);
      const rows = await hostScoresOfRun(store, run.id);
      assert.ok(rows.length > 0);
      const infected = hostsOf(truth, "infected")[0];
      const hash = ipHasher(config).hash(infected);
      const mine = rows.filter((r) => r.host_hash === hash);
      assert.ok(mine.some((r) => r.status === "red"));
      const { cipher } = await currentKey(store, config);
      assert.ok(cipher instanceof IpCipher);
      assert.equal(cipher.decrypt(mine[0].host_encrypted as string), infected);
      assert.ok(
        rows.every((r) => !JSON.stringify(r).includes(infected)),
        "no plain address in the store",
      );
    } finally {
      await store.close();
    }
  });
});
