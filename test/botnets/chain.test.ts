import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { attackReports, clusterStats, commonIps, similarAttacks } from "../../src/app/analytics.ts";
import { describeBotnet, matchBotnet } from "../../src/app/botnets.ts";
import { runAutoChain } from "../../src/app/chain.ts";
import { clusterIncident } from "../../src/app/cluster.ts";
import { ipHasher } from "../../src/app/keys.ts";
import { AUTO_FEATURES, labelClusters } from "../../src/app/label.ts";
import { analyzeWeb } from "../../src/app/web.ts";
import { parseConfig } from "../../src/core/config.ts";
import { type WebGroundTruth, writeWebSimulation } from "../../src/simulate/web.ts";
import { openStore, type Store } from "../../src/store/open.ts";

/**
 * The automatic chain on simulated traffic with ground truth: one site, a botnet that returns with 40%
 * of its bots and a drifted pattern, and a different botnet in between.
 */
const config = parseConfig({ privacy: { passphrase: "test", scrypt: { N: 1024 } } });
const SITE = "shop.example.org";
let dir: string;
let store: Store;
let truth: WebGroundTruth;
let incidentId: number;
const hasher = ipHasher(config);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-chain-"));
  truth = await writeWebSimulation(
    {
      seed: 11,
      hours: 24,
      sites: [SITE],
      visitorsPerHour: 80,
      attacks: [
        {
          botnet: "botnet-a",
          site: SITE,
          startHour: 6,
          durationMinutes: 30,
          bots: 120,
          pattern: "page-flood",
        },
        {
          botnet: "botnet-c",
          site: SITE,
          startHour: 12,
          durationMinutes: 30,
          bots: 90,
          pattern: "login-flood",
        },
        {
          botnet: "botnet-a",
          site: SITE,
          startHour: 18,
          durationMinutes: 30,
          bots: 120,
          pattern: "cache-bust",
          reuseShare: 0.4,
        },
      ],
    },
    join(dir, "access.log"),
    join(dir, "labels.json"),
  );
  store = await openStore(join(dir, "b.db"));
  const summary = await analyzeWeb(store, config, {
    files: [join(dir, "access.log")],
    weblog: { format: "auto" },
    gapSeconds: 1800,
    key: "ip",
    compat: false,
    target: SITE,
  });
  incidentId = summary.targets[0].incidentId;
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("automatic chain on a simulated day", () => {
  let chain: Awaited<ReturnType<typeof runAutoChain>>;
  before(async () => {
    chain = await runAutoChain(store, config, [incidentId], 1);
  });

  test("attack clusters hold >= 95% of attacking IPs and <= 2% of benign IPs", async () => {
    const sessions = await store.db.selectFrom("sessions").select(["ip_hash", "attack"]).execute();
    const role = new Map(Object.entries(truth.actors).map(([ip, a]) => [hasher.hash(ip), a.role]));
    const bots = new Set(sessions.filter((s) => role.get(s.ip_hash) === "bot").map((s) => s.ip_hash));
    const benign = new Set(sessions.filter((s) => role.get(s.ip_hash) !== "bot").map((s) => s.ip_hash));
    const flagged = new Set(sessions.filter((s) => s.attack !== null).map((s) => s.ip_hash));
    const caught = [...bots].filter((ip) => flagged.has(ip)).length / bots.size;
    const falsely = [...benign].filter((ip) => flagged.has(ip)).length / benign.size;
    assert.ok(caught >= 0.95, `caught ${(100 * caught).toFixed(1)}% of bot IPs`);
    assert.ok(falsely <= 0.02, `flagged ${(100 * falsely).toFixed(2)}% of benign IPs`);
  });

  test("three attacks in time order, each inside its true window, with reasons and confidence", () => {
    const attacks = chain[0].labelling.attacks;
    assert.equal(attacks.length, 3);
    truth.attacks.forEach((t, i) => {
      const a = attacks[i];
      assert.ok(
        a.start <= Date.parse(t.end) / 1000 && a.end >= Date.parse(t.start) / 1000,
        `attack ${i + 1} overlaps its window`,
      );
      assert.ok(a.confidence >= 0.5 && a.confidence <= 1);
      assert.ok(a.reasons.length > 0);
    });
  });

  test("the returning botnet is matched, the different one is new", () => {
    const [first, second, third] = chain[0].matches;
    assert.equal(first.decision, "new");
    assert.equal(second.decision, "new");
    assert.notEqual(second.botnet?.name, first.botnet?.name);
    assert.equal(third.decision, "matched");
    assert.equal(third.botnet?.name, first.botnet?.name);
    assert.ok(third.candidates[0].overlap.ofA > 0.3);
    assert.ok(third.candidates[0].score > second.candidates[0]?.score);
  });

  test("registry, attack report, similarity and common IPs", async () => {
    const b = await describeBotnet(store, chain[0].matches[0].botnet!.name);
    assert.equal(b.attacks.length, 2);
    const reports = await attackReports(store, incidentId);
    assert.equal(reports.length, 3);
    assert.ok(reports.every((r) => r.ips > 50 && r.metrics.hitRatePerMinute > 0));
    const similar = await similarAttacks(store, incidentId, 3, AUTO_FEATURES);
    assert.equal(similar.length, 2);
    // the returning botnet shares ~40% of its bots; the other botnet at most a stray benign IP or two
    assert.ok(similar.find((s) => s.number === 1)!.shareOfThis > 0.3);
    assert.ok(similar.find((s) => s.number === 2)!.shareOfThis < 0.05);
    assert.deepEqual(await commonIps(store, incidentId, 1), [], "one incident: nothing in others");
    // dry-run matching records nothing new
    const before = (await describeBotnet(store, chain[0].matches[0].botnet!.name)).attacks.length;
    await matchBotnet(store, incidentId, 3, { record: false });
    assert.equal((await describeBotnet(store, chain[0].matches[0].botnet!.name)).attacks.length, before);
  });
});

describe("analyst workflow", () => {
  test("DBSCAN clusters, double clustering, label_attack by clusters, cluster analytics", async () => {
    const first = await clusterIncident(store, incidentId, {
      features: AUTO_FEATURES,
      algo: "dbscan",
      eps: 0.5,
      minSamples: 10,
      log: true,
    });
    assert.equal(
      first.sessions,
      first.clusters.reduce((s, c) => s + c.sessions, 0),
    );
    const biggest = first.clusters.filter((c) => c.cluster > 0).sort((a, b) => b.sessions - a.sessions)[0];
    const second = await clusterIncident(store, incidentId, {
      features: AUTO_FEATURES,
      algo: "kmeans",
      k: 3,
      within: biggest.cluster,
    });
    assert.equal(second.sessions, biggest.sessions);
    assert.equal(second.clusters.length, 3);
    const n = await labelClusters(store, incidentId, 9, { clusters: [biggest.cluster], clusters2: [] });
    assert.equal(n, biggest.sessions);
    const n2 = await labelClusters(store, incidentId, 9, { clusters: [], clusters2: [1] });
    assert.equal(n2, second.clusters[0].sessions, "labelling again replaces");
    const stats = await clusterStats(store, incidentId, ["request_interval"], 1);
    const s = stats.find((c) => c.cluster === biggest.cluster)!;
    assert.equal(s.sessions, biggest.sessions);
    assert.ok(s.features.request_interval!.q1 <= s.features.request_interval!.median);
    await assert.rejects(
      clusterIncident(store, 999, { features: AUTO_FEATURES, algo: "kmeans" }),
      /no incident 999/,
    );
    await assert.rejects(
      clusterIncident(store, incidentId, { features: AUTO_FEATURES, algo: "kmeans", within: 12345 }),
      /no session in cluster 12345/,
    );
  });
});
