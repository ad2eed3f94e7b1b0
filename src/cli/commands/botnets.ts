import { type Command, Option } from "commander";
import { attackReports, clusterStats, commonIps, similarAttacks } from "../../app/analytics.ts";
import { assignBotnet, describeBotnet, matchBotnet } from "../../app/botnets.ts";
import { clusterIncident } from "../../app/cluster.ts";
import { AUTO_FEATURES, autoLabel, labelClusters } from "../../app/label.ts";
import { UsageError } from "../../core/errors.ts";
import { listBotnets } from "../../store/botnets.ts";
import { SESSION_FEATURES, type SessionFeature } from "../../store/schema.ts";
import { integerArg, listArg, positiveArg } from "../args.ts";
import { action } from "../context.ts";
import { isoTime, printJson, printTable } from "../output.ts";

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

function featureList(v: string): SessionFeature[] {
  const list = listArg(v);
  const bad = list.filter((f) => !(SESSION_FEATURES as readonly string[]).includes(f));
  if (bad.length)
    throw new UsageError(`unknown feature ${bad.join(", ")}; features: ${SESSION_FEATURES.join(", ")}`);
  return list as SessionFeature[];
}

const numbers = (v: string) => listArg(v).map(integerArg);

type ClusterOpts = {
  features: SessionFeature[];
  algo: "dbscan" | "kmeans";
  eps: number;
  minSamples: number;
  k?: number;
  within?: number;
  log?: boolean;
  seed: number;
};
type StatsOpts = { features: SessionFeature[]; level: number };
type LabelOpts = { attack?: number; clusters?: number[]; clusters2?: number[]; auto?: boolean; seed: number };
type MatchOpts = { attack: number; dryRun?: boolean; name?: string };

/** The analyst workflow: cluster, label attacks, compare them, and the botnet registry. */
export function botnetCommands(program: Command): void {
  program
    .command("cluster")
    .description("cluster an incident's sessions (stores cluster_index; --within: cluster_index2)")
    .argument("<incident>", "incident id", integerArg)
    .option("--features <list>", "session features", featureList, AUTO_FEATURES)
    .addOption(new Option("--algo <algo>", "algorithm").choices(["dbscan", "kmeans"]).default("dbscan"))
    .option("--eps <e>", "DBSCAN radius in standardised units (Bothound: 0.2)", positiveArg, 0.2)
    .option("--min-samples <m>", "DBSCAN core size (Bothound: 10)", integerArg, 10)
    .option("--k <k>", "k-means clusters (default: chosen by silhouette)", integerArg)
    .option("--within <cluster>", "double clustering inside this first-level cluster", integerArg)
    .option("--log", "log1p the features before scaling")
    .option("--seed <n>", "random seed", integerArg, 0)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, o: ClusterOpts) => {
        const summary = await clusterIncident(await ctx.store(), incident, {
          features: o.features,
          algo: o.algo,
          eps: o.eps,
          minSamples: o.minSamples,
          k: o.k,
          within: o.within,
          log: o.log,
          seed: o.seed,
        });
        if (ctx.json) return printJson(summary);
        process.stdout.write(
          `incident ${incident}: ${summary.sessions} sessions, ${summary.clusters.length} clusters (${summary.algo}${summary.within !== null ? ` within cluster ${summary.within}` : ""}${summary.chosenK ? `, k=${summary.chosenK.k} by silhouette ${summary.chosenK.silhouette.toFixed(2)}` : ""}); 0 = noise\n`,
        );
        const shown = o.features.slice(0, 6);
        printTable(
          ["cluster", "sessions", ...shown],
          summary.clusters.map((c) => [c.cluster, c.sessions, ...shown.map((f) => c.means[f] ?? null)]),
        );
      }),
    );

  program
    .command("clusters")
    .description(
      "per-cluster analytics: feature box plots, countries, ASNs, banned share, IPs seen elsewhere",
    )
    .argument("<incident>", "incident id", integerArg)
    .option("--features <list>", "features for the box plots", featureList, [
      "request_interval",
      "html2image_ratio",
      "error_rate",
      "session_length",
    ])
    .option("--level <n>", "1 (cluster_index) or 2 (cluster_index2)", integerArg, 1)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, o: StatsOpts) => {
        const stats = await clusterStats(await ctx.store(), incident, o.features, o.level === 2 ? 2 : 1);
        if (ctx.json) return printJson(stats);
        printTable(
          ["cluster", "sessions", "IPs", "banned", "other incident", "other attack", "countries", "ASNs"],
          stats.map((c) => [
            c.cluster,
            c.sessions,
            c.ips,
            pct(c.bannedShare),
            pct(c.seenInOtherIncident),
            pct(c.seenInOtherAttack),
            c.countries
              .slice(0, 3)
              .map((x) => `${x.key} ${pct(x.share)}`)
              .join(" "),
            c.asns
              .slice(0, 2)
              .map((x) => `${x.key.slice(0, 24)} ${pct(x.share)}`)
              .join(", "),
          ]),
        );
        for (const f of o.features) {
          process.stdout.write(`\n${f} (min / q1 / median / q3 / max)\n`);
          for (const c of stats) {
            const b = c.features[f];
            process.stdout.write(
              `  ${String(c.cluster).padStart(3)}  ${b ? [b.min, b.q1, b.median, b.q3, b.max].map((v) => +v.toPrecision(4)).join(" / ") : "-"}\n`,
            );
          }
        }
      }),
    );

  program
    .command("label")
    .description("label an attack (Bothound's label_attack), or --auto: propose attacks and explain why")
    .argument("<incident>", "incident id", integerArg)
    .option("--attack <n>", "attack number", integerArg)
    .option("--clusters <list>", "first-level clusters of the attack", numbers)
    .option("--clusters2 <list>", "second-level clusters of the attack", numbers)
    .option("--auto", "propose attack clusters automatically")
    .option("--seed <n>", "random seed", integerArg, 0)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, o: LabelOpts) => {
        const store = await ctx.store();
        if (o.auto) {
          const r = await autoLabel(store, incident, {
            seed: o.seed,
            gapSeconds: ctx.config.web.sessionGapSeconds,
          });
          if (ctx.json) return printJson(r);
          printTable(
            ["cluster", "sessions", "verdict", "score", "why"],
            r.evidence.map((e) => [
              e.cluster,
              e.sessions,
              e.verdict,
              e.score,
              e.reasons.slice(0, 2).join("; "),
            ]),
          );
          for (const a of r.attacks) {
            process.stdout.write(
              `\nattack ${a.number}: ${a.sessions} sessions ${isoTime(a.start)} .. ${isoTime(a.end)}, confidence ${a.confidence.toFixed(2)}, clusters ${a.clusters.join(",")}\n  ${a.reasons.join("\n  ")}\n`,
            );
          }
          if (r.attacks.length === 0) process.stdout.write("\nno attack proposed\n");
          return;
        }
        if (o.attack === undefined || (!o.clusters && !o.clusters2))
          throw new UsageError("label needs --attack N and --clusters (or --clusters2), or --auto");
        const n = await labelClusters(store, incident, o.attack, {
          clusters: o.clusters ?? [],
          clusters2: o.clusters2 ?? [],
        });
        if (ctx.json) return printJson({ incident, attack: o.attack, sessions: n });
        process.stdout.write(`attack ${o.attack} of incident ${incident}: ${n} sessions\n`);
      }),
    );

  const attacks = program.command("attacks").description("attacks across incidents");
  attacks
    .command("list")
    .description("attack summary: IPs, countries, user agents, session length, image/html ratio, hit rate")
    .option("--incident <id>", "only this incident", integerArg)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, o: { incident?: number }) => {
        const reports = await attackReports(await ctx.store(), o.incident);
        if (ctx.json) return printJson(reports);
        printTable(
          [
            "incident",
            "attack",
            "target",
            "IPs",
            "start",
            "end",
            "len s",
            "img/html",
            "hits/min",
            "countries",
            "by",
          ],
          reports.map((r) => [
            r.incidentId,
            r.number,
            r.target,
            r.ips,
            isoTime(r.start),
            isoTime(r.end),
            r.metrics.sessionLength,
            r.metrics.imageHtmlRatio,
            r.metrics.hitRatePerMinute,
            r.countries
              .slice(0, 3)
              .map((c) => `${c.key} ${pct(c.share)}`)
              .join(" "),
            r.method,
          ]),
        );
      }),
    );
  attacks
    .command("similar")
    .description("other attacks by Bothound's distance (most similar first) with common IPs")
    .argument("<incident>", "incident id", integerArg)
    .argument("<attack>", "attack number", integerArg)
    .option("--features <list>", "features", featureList, AUTO_FEATURES)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, attack: number, o: { features: SessionFeature[] }) => {
        const list = await similarAttacks(await ctx.store(), incident, attack, o.features);
        if (ctx.json) return printJson(list);
        printTable(
          ["incident", "attack", "target", "distance", "common IPs", "% of this", "% of other"],
          list.map((r) => [
            r.incidentId,
            r.number,
            r.target,
            r.distance,
            r.commonIps,
            pct(r.shareOfThis),
            pct(r.shareOfOther),
          ]),
        );
      }),
    );
  attacks
    .command("common-ips")
    .description("IPs of an attack seen in other incidents: count, % of the attack, % of the other")
    .argument("<incident>", "incident id", integerArg)
    .argument("<attack>", "attack number", integerArg)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, attack: number) => {
        const list = await commonIps(await ctx.store(), incident, attack);
        if (ctx.json) return printJson(list);
        printTable(
          ["incident", "target", "common IPs", "% of attack", "% of incident"],
          list.map((r) => [
            r.incidentId,
            r.target,
            r.commonIps,
            pct(r.shareOfAttack),
            pct(r.shareOfIncident),
          ]),
        );
      }),
    );

  const botnets = program
    .command("botnets")
    .description("the botnet registry: has this botnet attacked before?");
  botnets
    .command("match")
    .description("rank known botnets for an attack (IP-hash overlap and behaviour) and record the decision")
    .argument("<incident>", "incident id", integerArg)
    .requiredOption("--attack <n>", "attack number", integerArg)
    .option("--dry-run", "rank only, record nothing")
    .option("--name <name>", "name for a new botnet")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, o: MatchOpts) => {
        const r = await matchBotnet(await ctx.store(), incident, o.attack, {
          record: !o.dryRun,
          name: o.name,
        });
        if (ctx.json) return printJson(r);
        printTable(
          ["botnet", "attacks", "IPs", "common", "% of attack", "jaccard", "behaviour", "score"],
          r.candidates.map((c) => [
            c.name,
            c.attacks,
            c.ips,
            c.overlap.common,
            pct(c.overlap.ofA),
            c.overlap.jaccard,
            c.behaviour,
            c.score,
          ]),
        );
        process.stdout.write(
          r.decision === "matched"
            ? `\nattack ${o.attack} of incident ${incident} is ${r.botnet?.name} (seen before)${r.recorded ? "" : " [dry run]"}\n`
            : `\nattack ${o.attack} of incident ${incident}: new botnet${r.botnet ? ` ${r.botnet.name}` : ""}${r.recorded ? "" : " [dry run]"}\n`,
        );
      }),
    );
  botnets
    .command("assign")
    .description("link an attack to a botnet by hand (created when new)")
    .argument("<incident>", "incident id", integerArg)
    .requiredOption("--attack <n>", "attack number", integerArg)
    .requiredOption("--botnet <name>", "botnet name")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, incident: number, o: { attack: number; botnet: string }) => {
        await assignBotnet(await ctx.store(), incident, o.attack, o.botnet);
        if (ctx.json) return printJson({ incident, attack: o.attack, botnet: o.botnet });
        process.stdout.write(`attack ${o.attack} of incident ${incident} -> ${o.botnet}\n`);
      }),
    );
  botnets
    .command("list")
    .description("known botnets")
    .option("--json", "as JSON")
    .action(
      action(async (ctx) => {
        const list = await listBotnets(await ctx.store());
        if (ctx.json) return printJson(list);
        printTable(
          ["id", "name", "attacks", "created", "comment"],
          list.map((b) => [b.id, b.name, b.attacks, isoTime(b.created_at), b.comment]),
        );
      }),
    );
  botnets
    .command("show")
    .description("a botnet's attacks and evidence")
    .argument("<botnet>", "id or name")
    .option("--json", "as JSON")
    .action(
      action(async (ctx, idOrName: string) => {
        const d = await describeBotnet(await ctx.store(), idOrName);
        if (ctx.json) return printJson(d);
        process.stdout.write(`${d.botnet.name}: ${d.attacks.length} attacks, ${d.ips} distinct IPs\n`);
        printTable(
          ["incident", "attack", "target", "start", "decision", "score"],
          d.attacks.map((a) => [a.incidentId, a.number, a.target, isoTime(a.start), a.decision, a.score]),
        );
      }),
    );
}
