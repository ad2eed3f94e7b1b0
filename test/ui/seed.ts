/**
 * A store for the browser tests, filled by the simulator with known ground truth: two sites, botnet-a
 * attacks the shop, then returns on the news site with half of its bots and another pattern; the shop's
 * incident goes through the automatic chain (so botnet-a is known), the news site's incident is left for
 * the test to cluster and label by hand. The watcher replays the log (anomaly series and events), and a
 * short flow capture gives a flow-detection run (infected hosts) and a periodicity run (a p2p bot).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { runBeacons } from "../../src/app/beacons.ts";
import { runAutoChain } from "../../src/app/chain.ts";
import { detectFlows, trainFlows } from "../../src/app/flows.ts";
import { ipHasher } from "../../src/app/keys.ts";
import { storePeriodicityRun } from "../../src/app/periodicity.ts";
import { runWatch } from "../../src/app/watch.ts";
import { analyzeWeb } from "../../src/app/web.ts";
import { type Config, parseConfig } from "../../src/core/config.ts";
import { GeoLookup } from "../../src/geo/geo.ts";
import { type FlowGroundTruth, writeFlowSimulation } from "../../src/simulate/flows.ts";
import { type WebGroundTruth, writeWebSimulation } from "../../src/simulate/web.ts";
import { openStore, type Store } from "../../src/store/open.ts";

export const SHOP = "shop.example.org";
export const NEWS = "news.example.net";

export interface Seeded {
  store: Store;
  config: Config;
  web: WebGroundTruth;
  flows: FlowGroundTruth;
  /** Incident ids by site. */
  incidents: Record<string, number>;
  /** Incidents the watcher opened. */
  watchIncidents: number[];
  /** Keyed IP hashes of the bots that attacked the news site. */
  newsBots: Set<string>;
  flowRunId: number;
  periodicityRunId: number;
}

export async function seed(dir: string): Promise<Seeded> {
  const config = parseConfig({ privacy: { passphrase: "ui-test", scrypt: { N: 1024 } } });
  const web = await writeWebSimulation(
    {
      seed: 7,
      hours: 12,
      sites: [SHOP, NEWS],
      visitorsPerHour: 60,
      vhost: true,
      attacks: [
        {
          botnet: "botnet-a",
          site: SHOP,
          startHour: 3,
          durationMinutes: 30,
          bots: 100,
          pattern: "page-flood",
        },
        {
          botnet: "botnet-a",
          site: NEWS,
          startHour: 8,
          durationMinutes: 30,
          bots: 100,
          pattern: "login-flood",
          reuseShare: 0.5,
        },
      ],
    },
    join(dir, "access.log"),
    join(dir, "access.labels.json"),
  );
  const store = await openStore(join(dir, "botscope.db"));
  const incidents: Record<string, number> = {};
  const geo = await GeoLookup.open();
  for (const site of [SHOP, NEWS]) {
    const summary = await analyzeWeb(store, config, {
      files: [join(dir, "access.log")],
      weblog: { format: "auto" },
      gapSeconds: 1800,
      key: "ip",
      compat: false,
      target: site,
      geo,
    });
    incidents[site] = summary.targets[0].incidentId;
  }
  await runAutoChain(store, config, [incidents[SHOP]], 1);
  const watched = await runWatch(store, config, {
    input: join(dir, "access.log"),
    replay: true,
    weblog: { format: "auto" },
    threshold: 0.95,
    holdMinutes: 30,
    intervalSeconds: 120,
    learnHours: 2,
    gapSeconds: 1800,
    key: "ip",
    compat: false,
    chain: false,
    geo,
  });
  const hasher = ipHasher(config);
  const newsAttack = web.attacks.find((a) => a.site === NEWS)!;
  const newsBots = new Set(newsAttack.ips.map((ip) => hasher.hash(ip)));

  // flows: a model trained on another capture flags the infected hosts of this one
  const flowFile = join(dir, "flows.binetflow");
  const flows = await writeFlowSimulation({ seed: 3, hours: 2 }, flowFile, join(dir, "flows.labels.json"));
  const trainFile = join(dir, "train.binetflow");
  await writeFlowSimulation({ seed: 1003, hours: 2 }, trainFile, join(dir, "train.labels.json"));
  const models = join(dir, "models");
  mkdirSync(models, { recursive: true });
  await trainFlows({
    files: [trainFile],
    modelPath: join(models, "flows.model"),
    windowSeconds: 300,
    stepSeconds: 150,
    trees: 30,
    seed: 1,
  });
  const detected = await detectFlows({
    files: [flowFile],
    modelsDir: models,
    internal: [flows.internal],
    store: { store, config },
  });
  const beacons = await runBeacons({ files: [flowFile], mode: "keepalive" });
  const periodicityRunId = await storePeriodicityRun(store, config, beacons, flowFile);
  return {
    store,
    config,
    web,
    flows,
    incidents,
    watchIncidents: watched.incidents.map((i) => i.id),
    newsBots,
    flowRunId: detected.runId!,
    periodicityRunId,
  };
}
