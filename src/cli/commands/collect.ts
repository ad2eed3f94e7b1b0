/**
 * `botscope collect`: a live NetFlow v5/v9/IPFIX collector (`--listen udp://127.0.0.1:2055`), or the
 * same decoding over captures of an export (`--pcap export.pcap`). Writes rolling flow files, prints
 * flows, runs the keep-alive detector, volume anomalies and flow models on the live flows; counters on
 * exit (SIGINT included) and every `--stats-every` seconds.
 */
import { Command, Option } from "commander";
import { type CollectSummary, parseListen, runCollector } from "../../app/collect.ts";
import { WRITE_FORMATS, type WriteFormat } from "../../app/collect-writer.ts";
import { UsageError } from "../../core/errors.ts";
import { parseCidr } from "../../core/net.ts";
import { loadModelsDir } from "../../flows/models.ts";
import { BINETFLOW_HEADER, binetflowLine } from "../../ingest/capture/write.ts";
import type { CollectorStats } from "../../ingest/netflow/stats.ts";
import { expandInputs } from "../../ingest/source.ts";
import { integerArg, listArg, positiveArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson, printTable } from "../output.ts";

interface CollectCliOptions {
  listen: string;
  pcap?: string[];
  port?: string[];
  write?: string;
  writeFormat: WriteFormat;
  rotate: number;
  count?: number;
  duration?: number;
  statsEvery?: number;
  print?: boolean;
  beacons?: boolean;
  anomalies?: boolean;
  models?: string;
  internal?: string[];
  threshold?: number;
  sampling: boolean;
  json?: boolean;
}

function countArg(v: string): number {
  const n = integerArg(v);
  if (n < 1) throw new UsageError("--count: expected an integer >= 1");
  return n;
}

/** One line of counters. */
export function statsLine(s: CollectorStats): string {
  const bad = Object.entries(s.malformedByReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  return (
    `datagrams ${s.datagrams} (v5 ${s.v5.datagrams}, v9 ${s.v9.datagrams}, IPFIX ${s.ipfix.datagrams}), ` +
    `flows ${s.records}, templates ${s.templates}, unknown-template sets ${s.unknownTemplate.sets} ` +
    `(${s.unknownTemplate.decodedLater} records decoded later, ${s.unknownTemplate.dropped} dropped), ` +
    `malformed ${s.malformed}${bad ? ` (${bad})` : ""}, lost ${s.lostRecords} records / ${s.lostDatagrams} datagrams`
  );
}

function printSummary(r: CollectSummary): void {
  const w = (t: string) => process.stdout.write(`${t}\n`);
  w(`${r.flows} flows from ${r.source} in ${r.seconds.toFixed(1)} s (stopped: ${r.stoppedBy})`);
  w(statsLine(r.stats));
  if (r.capture)
    w(
      `capture: ${r.capture.packets} packets, ${r.capture.datagrams} export datagrams, ${r.capture.otherUdp} other UDP, ${r.capture.notUdp} not UDP, ${r.capture.fragments} fragments`,
    );
  if (r.files.length) w(`files: ${r.files.join(" ")}`);
  const k = r.keepalive;
  if (k) {
    w(`keep-alive: ${k.pairs} pairs, ${k.judged} judged, ${k.hosts.length} hosts with periodic contacts`);
    if (k.hosts.length)
      printTable(
        ["host", "peers", "period s", "confidence"],
        k.hosts.map((h) => [
          h.host,
          h.peers,
          Math.round(h.periodMs) / 1000,
          Math.round(h.confidence * 1000) / 1000,
        ]),
      );
  }
  if (r.rates) {
    w(`volume: ${r.rates.minutes} minutes scored, ${r.rates.anomalies.length} anomalous`);
    for (const a of r.rates.anomalies.slice(0, 20))
      w(`  ${new Date(a.minute * 1000).toISOString()} ${a.metric} ${a.value} score ${a.score}`);
  }
  for (const d of r.detections ?? [])
    w(`${d.file}: ${d.flows} flows, red ${d.red.join(" ") || "-"}, yellow ${d.yellow.join(" ") || "-"}`);
}

export function collectCommand(): Command {
  return new Command("collect")
    .description("NetFlow v5/v9/IPFIX collector: live flows to files and detectors")
    .option("--listen <url>", "UDP address to receive exports on", "udp://127.0.0.1:2055")
    .option("--pcap <files...>", "decode the export datagrams in captures instead of listening")
    .option(
      "--port <ports>",
      "captures: only datagrams to these UDP ports (default: any NetFlow-looking)",
      listArg,
    )
    .option("--write <dir>", "write rolling flow files to DIR (flows.YYYYMMDDhhmm.binetflow)")
    .addOption(
      new Option("--write-format <format>", "flow file format").choices(WRITE_FORMATS).default("binetflow"),
    )
    .option("--rotate <seconds>", "start a new flow file every this many seconds", positiveArg, 300)
    .option("--count <n>", "stop after n flows", countArg)
    .option("--duration <seconds>", "stop after this many seconds (capture time for --pcap)", positiveArg)
    .option("--stats-every <seconds>", "print the counters to stderr this often", positiveArg)
    .option("--print", "print every flow to stdout (binetflow; the summary goes to stderr)")
    .option("--beacons", "run the keep-alive / beacon detector on the live flows")
    .option("--anomalies", "score flows and bytes per minute for volume anomalies")
    .option("--models <dir>", "run these flow models on each rotated file (needs --write)")
    .option("--internal <cidrs>", "internal networks for --models (default from the configuration)", listArg)
    .option("--threshold <p>", "botnet probability threshold for --models", positiveArg)
    .option("--no-sampling", "do not scale counts by the announced sampling interval")
    .option("--json", "summary as JSON")
    .action(
      action(async (ctx, o: CollectCliOptions) => {
        const internal = o.internal ?? ctx.config.flows.internal;
        for (const n of internal)
          if (!parseCidr(n)) throw new UsageError(`--internal: not an IPv4 CIDR: ${n}`);
        const ports = o.port?.map((p) => {
          const n = Number(p);
          if (!Number.isInteger(n) || n < 1 || n > 65535)
            throw new UsageError(`--port: not a UDP port: ${p}`);
          return n;
        });
        const models = o.models ? (await loadModelsDir(o.models)).models : undefined;
        if (models && models.length === 0) throw new UsageError(`--models ${o.models}: no models there`);
        const controller = new AbortController();
        const onSignal = () => controller.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        const out = o.print ? process.stdout : undefined;
        if (out) out.write(`${BINETFLOW_HEADER}\n`);
        const err = (t: string) => process.stderr.write(`${t}\n`);
        try {
          const r = await runCollector({
            listen: o.pcap ? undefined : parseListen(o.listen),
            pcap: o.pcap ? expandInputs(o.pcap) : undefined,
            ports,
            count: o.count,
            durationSeconds: o.duration,
            signal: controller.signal,
            applySampling: o.sampling,
            write: o.write ? { dir: o.write, format: o.writeFormat, rotateSeconds: o.rotate } : undefined,
            keepalive: o.beacons ? {} : undefined,
            rates: o.anomalies,
            detect: models ? { models, internal, threshold: o.threshold } : undefined,
            onFlow: out ? (f) => out.write(`${binetflowLine(f)}\n`) : undefined,
            onListening: (a) =>
              err(`listening on udp://${a.address.includes(":") ? `[${a.address}]` : a.address}:${a.port}`),
            statsEverySeconds: o.statsEvery,
            onStats: (s) => err(statsLine(s)),
          });
          if (ctx.json || o.json) {
            const json = {
              ...r,
              keepalive: r.keepalive && {
                pairs: r.keepalive.pairs,
                judged: r.keepalive.judged,
                hosts: r.keepalive.hosts.map((h) => ({
                  host: h.host,
                  peers: h.peers,
                  periodMs: Math.round(h.periodMs),
                  confidence: Math.round(h.confidence * 1000) / 1000,
                })),
              },
            };
            if (out) err(JSON.stringify(json));
            else printJson(json);
          } else if (out) err(statsLine(r.stats));
          else printSummary(r);
        } finally {
          process.removeListener("SIGINT", onSignal);
          process.removeListener("SIGTERM", onSignal);
        }
      }),
    );
}
