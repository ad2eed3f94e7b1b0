/**
 * A small store with everything the dashboard shows, built the way a user builds it: a simulated half
 * day of web traffic on two sites with three botnet attacks (analysed, clustered, labelled, matched),
 * the watcher replayed over the same log (anomaly series and events, its own incidents), and a short
 * simulated flow capture (flow detect run with host scores, periodicity run). Also the set of every
 * address the simulators wrote, to check that no answer shows one.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBeacons } from "../../src/app/beacons.ts";
import { runAutoChain } from "../../src/app/chain.ts";
import { detectFlows, trainFlows } from "../../src/app/flows.ts";
import { storePeriodicityRun } from "../../src/app/periodicity.ts";
import { runWatch } from "../../src/app/watch.ts";
import { analyzeWeb } from "../../src/app/web.ts";
import { type Config, parseConfig } from "../../src/core/config.ts";
import { GeoLookup } from "../../src/geo/geo.ts";
import { writeFlowSimulation } from "../../src/simulate/flows.ts";
import { writeWebSimulation } from "../../src/simulate/web.ts";
import { openStore, type Store } from "../../src/store/open.ts";

export const SITES = ["shop.example.org", "news.example.net"];

export function testConfig(): Config {
  return parseConfig({ privacy: { passphrase: "server-test", scrypt: { N: 1024 } } });
}

export interface Seeded {
  store: Store;
  config: Config;
  webLog: string;
  /** Every client address of the simulated web log and every address of the flow capture. */
  addresses: Set<string>;
  /** Incidents of `web analyze`, one per site. */
  incidents: number[];
  /** Incidents the watcher opened. */
  watchIncidents: number[];
  detectRun: number;
  periodicityRun: number;
  /** Hosts of the flow capture by role. */
  infected: string[];
  p2p: string;
}

const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}\b/g;

export async function seedStore(dir: string, url = join(dir, "botscope.db")): Promise<Seeded> {
  const config = testConfig();
  const webLog = join(dir, "access.log");
  await writeWebSimulation(
    {
      seed: 11,
      hours: 12,
      visitorsPerHour: 40,
      sites: SITES,
      vhost: true,
      attacks: [
        {
          botnet: "botnet-a",
          site: SITES[0],
          startHour: 4,
          durationMinutes: 30,
          bots: 40,
          pattern: "page-flood",
        },
        {
          botnet: "botnet-b",
          site: SITES[1],
          startHour: 6,
          durationMinutes: 30,
          bots: 30,
          pattern: "login-flood",
        },
        {
          botnet: "botnet-a",
          site: SITES[0],
          startHour: 9,
          durationMinutes: 30,
          bots: 50,
          pattern: "cache-bust",
          reuseShare: 0.6,
        },
      ],
    },
    webLog,
    join(dir, "access.labels.json"),
  );
  const flowFile = join(dir, "flows.binetflow");
  const flowTruth = await writeFlowSimulation(
    { seed: 5, hours: 2, backgroundFlowsPerMinute: 60 },
    flowFile,
    join(dir, "flows.labels.json"),
  );
  const trainFile = join(dir, "train.binetflow");
  await writeFlowSimulation(
    { seed: 6, hours: 2, backgroundFlowsPerMinute: 60 },
    trainFile,
    join(dir, "train.labels.json"),
  );

  const store = await openStore(url);
  const geo = await GeoLookup.open();
  const summary = await analyzeWeb(store, config, {
    files: [webLog],
    weblog: { format: "auto" },
    gapSeconds: 1800,
    key: "ip",
    compat: false,
    geo,
  });
  const incidents = summary.targets.map((t) => t.incidentId);
  await runAutoChain(store, config, incidents);
  const watched = await runWatch(store, config, {
    input: webLog,
    replay: true,
    weblog: { format: "auto" },
    threshold: 0.95,
    holdMinutes: 30,
    intervalSeconds: 120,
    learnHours: 3,
    gapSeconds: 1800,
    key: "ip",
    compat: false,
    chain: false,
    geo,
  });

  const modelsDir = join(dir, "models");
  mkdirSync(modelsDir, { recursive: true });
  await trainFlows({
    files: [trainFile],
    modelPath: join(modelsDir, "flows.model"),
    windowSeconds: 300,
    stepSeconds: 150,
    trees: 30,
    seed: 1,
  });
  const detected = await detectFlows({
    files: [flowFile],
    modelsDir,
    internal: ["10.20.0.0/16"],
    store: { store, config },
  });
  const beacons = await runBeacons({ files: [flowFile], mode: "keepalive" });
  const periodicityRun = await storePeriodicityRun(store, config, beacons, flowFile);

  // the address fields only (user agents hold version numbers such as 145.0.0.0)
  const addresses = new Set<string>();
  for (const line of readFileSync(webLog, "utf8").split("\n")) {
    const ip = line.split(" ", 2)[1];
    if (ip) addresses.add(ip);
  }
  for (const line of readFileSync(flowFile, "utf8").split("\n").slice(1)) {
    const f = line.split(",");
    if (f.length > 6) addresses.add(f[3]).add(f[6]);
  }
  const hosts = Object.entries(flowTruth.hosts);
  return {
    store,
    config,
    webLog,
    addresses,
    incidents,
    watchIncidents: watched.incidents.map((i) => i.id),
    detectRun: detected.runId!,
    periodicityRun,
    infected: hosts.filter(([, h]) => h.role === "infected").map(([ip]) => ip),
    p2p: hosts.find(([, h]) => h.role === "p2p")![0],
  };
}

/** Addresses from `known` that occur in a text (a response body). */
export function leakedAddresses(text: string, known: Set<string>): string[] {
  return [...new Set([...text.matchAll(IPV4)].map((m) => m[0]).filter((ip) => known.has(ip)))];
}
