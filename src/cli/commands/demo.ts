import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { runBeacons } from "../../app/beacons.ts";
import { runAutoChain } from "../../app/chain.ts";
import { detectFlows, trainFlows } from "../../app/flows.ts";
import { storePeriodicityRun } from "../../app/periodicity.ts";
import { runWatch } from "../../app/watch.ts";
import { analyzeWeb } from "../../app/web.ts";
import type { Config } from "../../core/config.ts";
import { GeoLookup } from "../../geo/geo.ts";
import { writeFlowSimulation } from "../../simulate/flows.ts";
import { writeWebSimulation } from "../../simulate/web.ts";
import { openStore, type Store } from "../../store/open.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { isoTime, printJson } from "../output.ts";
import { startServer, untilStopped } from "./serve.ts";
import { printChain } from "./web.ts";

/**
 * Flows: a model trained on another simulated capture (another seed) finds the infected hosts of the
 * demo capture, and the keep-alive detector finds the p2p bot and its peers.
 */
async function demoFlows(
  out: string,
  seed: number,
  flowFile: string,
  say: (s: string) => void,
  stored: { store: Store; config: Config },
): Promise<void> {
  const trainFile = join(out, "flows-train.binetflow");
  await writeFlowSimulation({ seed: seed + 1000 }, trainFile, join(out, "flows-train.labels.json"));
  const modelsDir = join(out, "models");
  mkdirSync(modelsDir, { recursive: true });
  const internal = "10.20.0.0/16";
  await trainFlows({
    files: [trainFile],
    modelPath: join(modelsDir, "flows.model"),
    windowSeconds: 300,
    stepSeconds: 150,
    seed,
  });
  const detected = await detectFlows({ files: [flowFile], modelsDir, internal: [internal], store: stored });
  say(`\nflows: model trained on another simulated capture (${trainFile}), detect on ${flowFile}:`);
  say(`  red: ${detected.red.join(", ") || "none"}; yellow: ${detected.yellow.join(", ") || "none"}`);
  const beacons = await runBeacons({ files: [flowFile], mode: "keepalive" });
  await storePeriodicityRun(stored.store, stored.config, beacons, flowFile);
  for (const h of beacons.keepalive?.hosts ?? []) {
    say(
      `  periodic: ${h.host} keeps ${h.peers} peer(s) every ${(h.periodMs / 1000).toFixed(1)} s, confidence ${h.confidence.toFixed(2)}`,
    );
  }
}

/**
 * The live watcher replayed over the same log: its anomaly series and events are stored for the
 * dashboard, its incidents analysed and matched against the botnets found above.
 */
async function demoWatch(
  store: Store,
  config: Config,
  webLog: string,
  geo: GeoLookup,
  say: (s: string) => void,
): Promise<void> {
  const watched = await runWatch(store, config, {
    input: webLog,
    replay: true,
    weblog: { format: "auto" },
    threshold: config.anomaly.threshold,
    holdMinutes: config.anomaly.holdMinutes,
    intervalSeconds: config.anomaly.intervalSeconds,
    // the demo log is one day: learn its first hours only
    learnHours: 6,
    gapSeconds: config.web.sessionGapSeconds,
    key: config.web.sessionKey,
    compat: false,
    geo,
  });
  say(`\nwatch --replay on the same log: ${watched.eventCount} anomaly events`);
  for (const i of watched.incidents) {
    const bots = i.chain?.matches.map(
      (m) => `${m.botnet?.name} (${m.decision === "matched" ? "seen before" : "new"})`,
    );
    say(
      `  incident ${i.id} ${i.target} ${isoTime(i.start)} .. ${isoTime(i.stop)} (${i.signal}): ${i.sessions} sessions${bots?.length ? `, ${bots.join(", ")}` : ""}`,
    );
  }
}

/**
 * The main job on generated data: a day of web traffic for two sites with botnet attacks is simulated
 * and analysed into incidents and sessions, next to labelled flows for the flow detectors. Grows with
 * each detector.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "simulate a day of web traffic with botnet attacks and analyse it into incidents (plus labelled flows)",
    )
    .option("--out <dir>", "output directory (store, logs, ground truth)", "botscope-demo")
    .option("--seed <n>", "random seed", integerArg, 1)
    .option("--json", "as JSON")
    .option("--no-serve", "do not start the dashboard at the end")
    .option("--port <n>", "dashboard port (another free one when taken)", integerArg, 8400)
    .action(
      action(async (ctx, opts: { out: string; seed: number; serve: boolean; port: number }) => {
        mkdirSync(opts.out, { recursive: true });
        const say = (s: string) => ctx.json || process.stdout.write(`${s}\n`);
        const webLog = join(opts.out, "access.log");
        const flowFile = join(opts.out, "flows.binetflow");
        const web = await writeWebSimulation(
          { seed: opts.seed, vhost: true },
          webLog,
          join(opts.out, "access.labels.json"),
        );
        const flows = await writeFlowSimulation(
          { seed: opts.seed },
          flowFile,
          join(opts.out, "flows.labels.json"),
        );
        say(`simulated ${web.lines} web requests for ${web.sites.join(", ")} -> ${webLog}`);
        for (const a of web.attacks) {
          say(`  truth: ${a.botnet} ${a.pattern} on ${a.site} ${a.start} .. ${a.end}, ${a.ips.length} bots`);
        }
        say(`simulated ${flows.flows} flows -> ${flowFile} (truth in flows.labels.json)`);
        for (const [ip, h] of Object.entries(flows.hosts)) {
          if (h.role !== "normal")
            say(`  truth: ${h.role} host ${ip} (${(h.behaviours ?? ["p2p keep-alive"]).join(", ")})`);
        }

        const dbPath = join(opts.out, "botscope.db");
        for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
        const config = structuredClone(ctx.config);
        if (!config.privacy.passphrase) {
          config.privacy.passphrase = "botscope-demo";
          say("(no BOTSCOPE_PASSPHRASE set: the demo store uses the passphrase 'botscope-demo')");
        }
        const store = await openStore(dbPath);
        const geo = await GeoLookup.open();
        try {
          const summary = await analyzeWeb(store, config, {
            files: [webLog],
            weblog: { format: "auto" },
            gapSeconds: config.web.sessionGapSeconds,
            key: config.web.sessionKey,
            compat: false,
            geo,
          });
          const chain = await runAutoChain(
            store,
            config,
            summary.targets.map((t) => t.incidentId),
            opts.seed,
          );
          if (ctx.json) {
            await demoWatch(store, config, webLog, geo, say);
            await demoFlows(opts.out, opts.seed, flowFile, say, { store, config });
            printJson({
              web,
              flows: { ...flows, hosts: undefined },
              analysis: summary,
              chain,
              store: dbPath,
            });
            return await demoServe(store, config, opts);
          }
          say(`\nanalysed ${summary.requests} requests (format ${summary.format}) into ${dbPath}:`);
          for (const t of summary.targets) {
            say(
              `  incident ${t.incidentId} ${t.target}: ${t.requests} requests, ${t.ips} IPs, ${t.sessions} sessions`,
            );
          }
          printChain(chain);
          await demoWatch(store, config, webLog, geo, say);
          await demoFlows(opts.out, opts.seed, flowFile, say, { store, config });
          say(`\nnext: botscope --db ${dbPath} attacks list; botscope --db ${dbPath} botnets list`);
          await demoServe(store, config, opts, say);
        } finally {
          await store.close();
        }
      }),
    );
}

/** Serves the dashboard on the demo store until Ctrl-C (unless --no-serve). */
async function demoServe(
  store: Store,
  config: Config,
  opts: { serve: boolean; port: number },
  say?: (s: string) => void,
): Promise<void> {
  if (!opts.serve) return;
  const server = await startServer(
    store,
    config,
    { host: "127.0.0.1", port: opts.port, anyPortIfBusy: true },
    store.location,
  );
  const line = `dashboard: ${server.url} (Ctrl-C stops it)`;
  if (say) say(`\n${line}`);
  else process.stderr.write(`${line}\n`);
  await untilStopped();
  await server.close();
}
