/**
 * Detection over windows: flows in, per model and window the predicted-botnet flows of every internal
 * host (as source or destination) and its score and status (scoring.ts). Models that make their rows
 * alike (same feature spec) share one windowing pass; each model predicts over worker threads.
 *
 * Incremental like the other detectors: `push` every flow, `advance` between batches (closes windows
 * and runs the models on them), `finish` at the end.
 */
import { type Cidr, cidrContains, parseCidr } from "../core/net.ts";
import type { Flow } from "../ingest/flows/record.ts";
import type { ForestPool } from "../ml/forest.ts";
import type { FlowModel } from "./models.ts";
import { type HostCounts, HostScorer, type HostWindowScore, type ScoreOptions } from "./scoring.ts";
import { type FlowWindow, type FlowWindowStats, FlowWindows, ipv4Key, type RowLabel } from "./windows.ts";

export interface DetectOptions {
  /** Internal networks (IPv4 CIDRs); hosts outside them get no score. */
  internal: string[];
  /** Botnet probability from which a flow counts as predicted botnet, default 0.5. */
  threshold?: number;
  score?: ScoreOptions;
  /** Threads for prediction (default: the machine's parallelism). */
  jobs?: number;
  /** Seconds a flow may be late (default 60). */
  lateness?: number;
}

/** One model's verdict on one window. */
export interface ModelWindow {
  model: string;
  window: FlowWindow;
  /** 1 for rows predicted botnet (botnet probability >= threshold). */
  botnet: Uint8Array;
  /** Rows predicted botnet. */
  predictedBotnet: number;
  /** Host ids of the window's FlowWindows (see `hostName`). */
  hostName: (id: number) => string;
  hosts: HostWindowScore[];
}

/** Parses CIDRs; throws a RangeError naming the bad one. */
export function parseInternal(cidrs: string[]): Cidr[] {
  return cidrs.map((c) => {
    const p = parseCidr(c.trim());
    if (!p) throw new RangeError(`not an IPv4 CIDR: ${c}`);
    return p;
  });
}

interface Group {
  windows: FlowWindows;
  models: FlowModel[];
  queue: FlowWindow[];
  internal: Int8Array;
}

export class FlowDetector {
  private readonly groups: Group[] = [];
  private readonly pools = new Map<string, ForestPool>();
  private readonly scorers = new Map<string, HostScorer>();
  private readonly internal: Cidr[];
  private readonly threshold: number;

  constructor(
    models: FlowModel[],
    opts: DetectOptions,
    private readonly onWindow: (r: ModelWindow) => void | Promise<void>,
    /** Labels for evaluation (default: none, -1). */
    private readonly labelOf?: (f: Flow) => RowLabel,
  ) {
    if (models.length === 0) throw new RangeError("no models");
    this.internal = parseInternal(opts.internal);
    this.threshold = opts.threshold ?? 0.5;
    const bySpec = new Map<string, FlowModel[]>();
    for (const m of models) {
      const key = JSON.stringify(m.spec);
      bySpec.set(key, [...(bySpec.get(key) ?? []), m]);
      this.pools.set(m.name, m.forest.pool(opts.jobs));
      this.scorers.set(m.name, new HostScorer(opts.score));
    }
    for (const group of bySpec.values()) {
      const spec = group[0].spec;
      const g: Group = {
        models: group,
        queue: [],
        internal: new Int8Array(0),
        windows: undefined as unknown as FlowWindows,
      };
      g.windows = new FlowWindows(
        { windowSeconds: spec.windowSeconds, stepSeconds: spec.stepSeconds, lateness: opts.lateness, spec },
        (w) => g.queue.push(w),
      );
      this.groups.push(g);
    }
  }

  /** Window statistics of the first group (all groups see the same flows). */
  get stats(): FlowWindowStats {
    return this.groups[0].windows.stats;
  }

  push(f: Flow): void {
    const label = this.labelOf ? this.labelOf(f) : -1;
    for (const g of this.groups) g.windows.push(f, label);
  }

  /** Closes the windows the input has passed and runs the models on them. */
  async advance(): Promise<void> {
    for (const g of this.groups) {
      g.windows.advance();
      await this.drain(g);
    }
  }

  async finish(): Promise<void> {
    try {
      for (const g of this.groups) {
        g.windows.flush();
        await this.drain(g);
      }
    } finally {
      await this.close();
    }
  }

  /** Stops the worker threads (finish does it too). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private isInternal(g: Group, id: number): boolean {
    if (g.internal.length <= id) {
      const n = new Int8Array(Math.max(g.windows.hosts.size, g.internal.length * 2, 1024)).fill(-1);
      n.set(g.internal);
      g.internal = n;
    }
    let v = g.internal[id];
    if (v < 0) {
      const ip = ipv4Key(g.windows.hosts.names[id]);
      v = ip >= 0 && this.internal.some((c) => cidrContains(c, ip)) ? 1 : 0;
      g.internal[id] = v;
    }
    return v === 1;
  }

  private async drain(g: Group): Promise<void> {
    while (g.queue.length) {
      const w = g.queue.shift() as FlowWindow;
      for (const model of g.models) {
        let botnet: Uint8Array = new Uint8Array(w.x.rows);
        let predictedBotnet = 0;
        const counts = new Map<string, HostCounts>();
        if (w.x.rows > 0) {
          // rows are finite by construction (features.ts), so the scan for NaN is skipped
          botnet = await (this.pools.get(model.name) as ForestPool).classify(w.x, 1, this.threshold, false);
        }
        const names = g.windows.hosts.names;
        for (let i = 0; i < w.x.rows; i++) {
          const bad = botnet[i];
          predictedBotnet += bad;
          const s = w.src[i];
          const d = w.dst[i];
          if (this.isInternal(g, s)) add(counts, names[s], bad);
          if (d !== s && this.isInternal(g, d)) add(counts, names[d], bad);
        }
        const hosts = (this.scorers.get(model.name) as HostScorer).update(w.index, counts);
        await this.onWindow({
          model: model.name,
          window: w,
          botnet,
          predictedBotnet,
          hostName: (id) => names[id],
          hosts,
        });
      }
    }
  }
}

function add(counts: Map<string, HostCounts>, host: string, bad: number): void {
  const c = counts.get(host);
  if (c) {
    c.flows++;
    c.botnet += bad;
  } else counts.set(host, { flows: 1, botnet: bad });
}
