/**
 * The collector application function: NetFlow v5/v9/IPFIX datagrams from a UDP socket (or from captures
 * of an export) decoded into flows, which feed the live operators: rolling flow files, the keep-alive /
 * beacon detector (incremental: push per flow, advance as time passes, flush at the end), volume
 * anomalies per minute, and the flow models, which need whole windows and so run on each rotated file.
 * Stops after a number of flows, a duration, or an abort signal (SIGINT in the CLI); never on bad input.
 */
import { createSocket, type Socket } from "node:dgram";
import { UsageError, UserError } from "../core/errors.ts";
import type { FlowModel } from "../flows/models.ts";
import type { Flow } from "../ingest/flows/record.ts";
import { type ExportCaptureStats, readExportCapture } from "../ingest/netflow/capture.ts";
import { NetflowDecoder } from "../ingest/netflow/decoder.ts";
import type { CollectorStats } from "../ingest/netflow/stats.ts";
import {
  KEEPALIVE_DEFAULTS,
  KeepAliveDetector,
  type KeepAliveOptions,
  type KeepAliveResult,
} from "../periodicity/keepalive.ts";
import { MinuteRates, type RateAnomaly } from "./collect-rates.ts";
import { RollingFlowWriter, type WriteFormat } from "./collect-writer.ts";
import { detectFlows } from "./flows.ts";

export interface ListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/** `udp://127.0.0.1:2055`, `udp://[::1]:2055`, `udp://0.0.0.0:2055`; port 0 picks a free one. */
export function parseListen(url: string): ListenAddress {
  const m = /^udp:\/\/(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(url.trim());
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535)
    throw new UsageError(
      `--listen ${url}: expected udp://HOST:PORT (udp://127.0.0.1:2055, udp://[::1]:2055)`,
    );
  const host = m[1] ?? m[2];
  return { host, port, family: m[1] !== undefined || host.includes(":") ? 6 : 4 };
}

export interface CollectOptions {
  /** Listen on a UDP socket ... */
  listen?: ListenAddress;
  /** ... or decode the export datagrams inside these captures (pcap, pcapng). */
  pcap?: string[];
  /** Captures: only datagrams to these UDP ports (default: any that looks like NetFlow/IPFIX). */
  ports?: number[];
  /** Stop after this many flows. */
  count?: number;
  /** Stop after this many seconds (of the capture's time for captures). */
  durationSeconds?: number;
  signal?: AbortSignal;
  applySampling?: boolean;
  /** Rolling flow files. */
  write?: { dir: string; format: WriteFormat; rotateSeconds: number };
  /** Run the keep-alive / beacon detector on the live flows. */
  keepalive?: Partial<KeepAliveOptions>;
  /** Score flows and bytes per minute for anomalies. */
  rates?: boolean;
  /** Run flow models on each rotated file (needs `write`). */
  detect?: { models: FlowModel[]; internal: string[]; threshold?: number };
  /** Every flow, as it is decoded. */
  onFlow?: (f: Flow, version: number) => void;
  onListening?: (a: { address: string; port: number }) => void;
  /** Periodic counters (`statsEverySeconds`, wall clock). */
  statsEverySeconds?: number;
  onStats?: (s: CollectorStats) => void;
}

export interface FileDetection {
  file: string;
  flows: number;
  red: string[];
  yellow: string[];
}

export interface CollectSummary {
  source: string;
  stoppedBy: "count" | "duration" | "signal" | "end";
  flows: number;
  stats: CollectorStats;
  capture?: ExportCaptureStats;
  files: string[];
  keepalive?: KeepAliveResult;
  rates?: { minutes: number; anomalies: RateAnomaly[] };
  detections?: FileDetection[];
  seconds: number;
}

/** Keep-alive state is thinned every this many flows. */
const ADVANCE_EVERY = 1 << 18;

export async function runCollector(o: CollectOptions): Promise<CollectSummary> {
  if (!o.listen && !o.pcap?.length) throw new UsageError("give --listen udp://HOST:PORT or --pcap FILE");
  if (o.detect && !o.write)
    throw new UsageError("flow models run on the rotated files: give --write DIR too");
  const t0 = performance.now();
  let stoppedBy: CollectSummary["stoppedBy"] = "end";
  let flows = 0;
  let clock = Number.NaN;
  let clockStart = Number.NaN;
  let stop: (why: CollectSummary["stoppedBy"]) => void = () => {};
  let stopped = false;

  const detections: FileDetection[] = [];
  let detectChain: Promise<void> = Promise.resolve();
  const detect = o.detect;
  const writer = o.write
    ? new RollingFlowWriter(o.write.dir, o.write.format, o.write.rotateSeconds, (file) => {
        if (!detect) return;
        detectChain = detectChain.then(async () => {
          const r = await detectFlows({
            files: [file],
            models: detect.models,
            internal: detect.internal,
            threshold: detect.threshold,
          });
          detections.push({ file, flows: r.flows, red: r.red, yellow: r.yellow });
        });
      })
    : undefined;
  const keepalive = o.keepalive
    ? new KeepAliveDetector({ ...KEEPALIVE_DEFAULTS, ...o.keepalive })
    : undefined;
  const rates = o.rates ? new MinuteRates() : undefined;
  let watermark = Number.NEGATIVE_INFINITY;
  let sinceAdvance = 0;

  const onFlow = (f: Flow, version: number) => {
    if (stopped) return;
    flows++;
    writer?.write(f);
    if (keepalive) {
      const ms = f.start * 1000;
      if (ms > watermark) watermark = ms;
      keepalive.push(f);
      if (++sinceAdvance >= ADVANCE_EVERY) {
        keepalive.advance(watermark);
        sinceAdvance = 0;
      }
    }
    rates?.add(clock, f.totBytes);
    o.onFlow?.(f, version);
    if (o.count !== undefined && flows >= o.count) stop("count");
  };
  const decoder = new NetflowDecoder(onFlow, { applySampling: o.applySampling });
  const tick = (now: number) => {
    if (Number.isNaN(clockStart)) clockStart = now;
    clock = now;
    writer?.tick(now);
    rates?.tick(now);
    if (o.durationSeconds !== undefined && now - clockStart >= o.durationSeconds) stop("duration");
  };
  let lastStats = performance.now();
  const statsDue = () => {
    if (!o.onStats || !o.statsEverySeconds) return;
    const t = performance.now();
    if (t - lastStats < o.statsEverySeconds * 1000) return;
    lastStats = t;
    o.onStats(decoder.stats);
  };

  let capture: ExportCaptureStats | undefined;
  let source: string;
  if (o.pcap?.length) {
    source = o.pcap.join(",");
    stop = (why) => {
      if (stopped) return;
      stopped = true;
      stoppedBy = why;
    };
    o.signal?.addEventListener("abort", () => stop("signal"), { once: true });
    for (const file of o.pcap) {
      const s = await readExportCapture(
        file,
        { ports: o.ports, stopped: () => stopped },
        (payload, exporter, ts) => {
          if (stopped) return;
          tick(ts);
          if (!stopped) decoder.decode(payload, exporter);
        },
        statsDue,
      );
      capture = capture ? addCapture(capture, s) : s;
      if (stopped) break;
    }
  } else {
    const a = o.listen as ListenAddress;
    source = `udp://${a.family === 6 ? `[${a.host}]` : a.host}:${a.port}`;
    await listen(a, decoder, o, tick, (s, done) => {
      stop = (why) => {
        if (stopped) return;
        stopped = true;
        stoppedBy = why;
        done();
      };
      if (o.signal?.aborted) stop("signal");
      o.signal?.addEventListener("abort", () => stop("signal"), { once: true });
      source = `udp://${s.address().family === "IPv6" ? `[${s.address().address}]` : s.address().address}:${s.address().port}`;
    });
  }
  decoder.finish();
  writer?.close();
  await detectChain;
  if (keepalive && sinceAdvance > 0) keepalive.advance(watermark);
  if (!Number.isNaN(clock)) rates?.tick(clock + 60);
  return {
    source,
    stoppedBy,
    flows,
    stats: decoder.stats,
    capture,
    files: writer?.files ?? [],
    keepalive: keepalive?.flush(),
    rates: rates && { minutes: rates.minutes, anomalies: rates.events },
    detections: detect ? detections : undefined,
    seconds: (performance.now() - t0) / 1000,
  };
}

function addCapture(a: ExportCaptureStats, b: ExportCaptureStats): ExportCaptureStats {
  return {
    packets: a.packets + b.packets,
    datagrams: a.datagrams + b.datagrams,
    otherUdp: a.otherUdp + b.otherUdp,
    notUdp: a.notUdp + b.notUdp,
    fragments: a.fragments + b.fragments,
  };
}

/** Receives datagrams until `stop` (set up by `ready` once bound) is called. */
function listen(
  a: ListenAddress,
  decoder: NetflowDecoder,
  o: CollectOptions,
  tick: (now: number) => void,
  ready: (s: Socket, done: () => void) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = createSocket({ type: a.family === 6 ? "udp6" : "udp4", recvBufferSize: 1 << 23 });
    const timers: NodeJS.Timeout[] = [];
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      socket.close(() => resolve());
    };
    socket.on("error", (e: NodeJS.ErrnoException) => {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      socket.close();
      reject(new UserError(`cannot listen on udp://${a.host}:${a.port}: ${e.message}`));
    });
    socket.on("message", (msg, rinfo) => {
      if (closed) return;
      tick(Date.now() / 1000);
      if (!closed) decoder.decode(msg, rinfo.address);
    });
    socket.bind(a.port, a.host, () => {
      ready(socket, done);
      if (closed) return;
      const addr = socket.address();
      o.onListening?.({ address: addr.address, port: addr.port });
      tick(Date.now() / 1000);
      // the clock moves without traffic too: rotation, duration, silent minutes
      timers.push(setInterval(() => tick(Date.now() / 1000), 1000));
      if (o.onStats && o.statsEverySeconds)
        timers.push(setInterval(() => o.onStats?.(decoder.stats), o.statsEverySeconds * 1000));
    });
  });
}
