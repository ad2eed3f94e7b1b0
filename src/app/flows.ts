/**
 * Application functions of the flow detector (botd's job): features, training, detection and
 * evaluation over flow files. The CLI and the server call these; detection logic lives in src/flows.
 */
import { readFile } from "node:fs/promises";
import type { Config } from "../core/config.ts";
import { UserError } from "../core/errors.ts";
import { FlowDetector, type ModelWindow } from "../flows/detect.ts";
import { type FeatureSpec, featureNames } from "../flows/features.ts";
import { type GarciaMetrics, garciaMetrics, type IpDecision, type IpTruth } from "../flows/garcia.ts";
import { ctu13Label, type LabelOf, parseLabelRanges, rangeLabels } from "../flows/labels.ts";
import { asFlowModel, type FlowModel, loadFlowModel, loadModelsDir, saveFlowModel } from "../flows/models.ts";
import type { HostStatus, HostWindowScore, ScoreOptions } from "../flows/scoring.ts";
import { type FlowWindow, type FlowWindowStats, FlowWindows, type RowLabel } from "../flows/windows.ts";
import type { BadLineReport } from "../ingest/bad-lines.ts";
import { type FlowFormat, type FlowReadStats, readFlows } from "../ingest/flows/reader.ts";
import type { Flow } from "../ingest/flows/record.ts";
import { RandomForest } from "../ml/forest.ts";
import { confusion, precisionRecallF1 } from "../ml/metrics.ts";
import {
  createFlowRun,
  deleteFlowRun,
  finishFlowRun,
  insertHostScores,
  type NewHostScore,
} from "../store/flow-runs.ts";
import type { Store } from "../store/open.ts";
import { currentKey, ipHasher } from "./keys.ts";

export interface FlowInputOptions {
  files: string[];
  format?: FlowFormat;
  /** Only flows starting at or after this (epoch seconds). */
  from?: number;
  /** Only flows starting before this. */
  to?: number;
  /** Fail when any line is bad. */
  strict?: boolean;
  nfdump?: string;
}

export interface LabelOptions {
  /** A labels file of host time ranges (labels.ts); default: the CTU-13 Label column. */
  labelsFile?: string;
  /** Class of flows no range covers (labels file only), default normal. */
  unlisted?: "normal" | "background";
}

export interface WindowingOptions {
  windowSeconds: number;
  stepSeconds: number;
  /** Join host aggregates (default true). */
  aggregates?: boolean;
  lateness?: number;
}

export interface InputSummary {
  format: string;
  lines: number;
  flows: number;
  /** Flows outside --from/--to. */
  outsideTime: number;
  windowing: FlowWindowStats;
  badLines: BadLineReport;
}

/** The label function the options ask for. */
export async function labelSource(o: LabelOptions): Promise<{ labelOf: LabelOf; name: string }> {
  if (!o.labelsFile) return { labelOf: ctu13Label, name: "CTU-13 Label column" };
  const text = await readFile(o.labelsFile, "utf8");
  const ranges = parseLabelRanges(text, o.labelsFile);
  return { labelOf: rangeLabels(ranges, o.unlisted === "background" ? -1 : 0), name: o.labelsFile };
}

/** Reads the input, passing flows inside the time range on; bad lines fail only with `strict`. */
async function readInput(
  o: FlowInputOptions,
  onFlow: (f: Flow) => void,
  afterBatch: () => Promise<void> | void,
): Promise<{ stats: FlowReadStats; outsideTime: number }> {
  const from = o.from ?? Number.NEGATIVE_INFINITY;
  const to = o.to ?? Number.POSITIVE_INFINITY;
  let outsideTime = 0;
  const stats = await readFlows(
    o.files,
    { format: o.format, nfdump: o.nfdump },
    (f) => {
      if (f.start < from || f.start >= to) outsideTime++;
      else onFlow(f);
    },
    afterBatch,
  );
  if (o.strict && stats.bad.total > 0) {
    throw new UserError(`--strict: ${stats.bad.total} bad line(s):\n${stats.bad.describe().join("\n")}`);
  }
  return { stats, outsideTime };
}

function summary(stats: FlowReadStats, outsideTime: number, windowing: FlowWindowStats): InputSummary {
  return {
    format: stats.format,
    lines: stats.lines,
    flows: stats.flows,
    outsideTime,
    windowing,
    badLines: stats.bad.toJSON(),
  };
}

/** Runs flows through windows with labels; every closed window goes to onWindow (awaited per batch). */
async function windowed(
  o: FlowInputOptions & WindowingOptions,
  labelOf: LabelOf,
  onWindow: (w: FlowWindow, spec: FeatureSpec) => Promise<void> | void,
): Promise<{ input: InputSummary; spec: FeatureSpec | undefined }> {
  const queue: FlowWindow[] = [];
  const windows = new FlowWindows(
    {
      windowSeconds: o.windowSeconds,
      stepSeconds: o.stepSeconds,
      aggregates: o.aggregates ?? true,
      lateness: o.lateness,
    },
    (w) => queue.push(w),
  );
  const drain = async (): Promise<void> => {
    while (queue.length) await onWindow(queue.shift() as FlowWindow, windows.spec as FeatureSpec);
  };
  const { stats, outsideTime } = await readInput(
    o,
    (f) => windows.push(f, labelOf(f)),
    async () => {
      windows.advance();
      await drain();
    },
  );
  windows.flush();
  await drain();
  return { input: summary(stats, outsideTime, windows.stats), spec: windows.spec };
}

// ---------------------------------------------------------------------------------------------- features

export interface FeaturesOptions extends FlowInputOptions, WindowingOptions, LabelOptions {
  /** Every row, background included (label -1); default only labelled rows (what training sees). */
  all?: boolean;
  /** Receives CSV text; awaited (back-pressure). */
  write: (text: string) => Promise<void> | void;
}

export interface FeaturesSummary extends InputSummary {
  rows: number;
  columns: string[];
  labels: string;
  byLabel: { botnet: number; normal: number; background: number };
}

/** The exact matrix a model sees, as CSV: the feature columns and `label` (1 botnet, 0 normal, -1 other). */
export async function writeFlowFeatures(o: FeaturesOptions): Promise<FeaturesSummary> {
  const { labelOf, name } = await labelSource(o);
  let rows = 0;
  let columns: string[] | undefined;
  const byLabel = { botnet: 0, normal: 0, background: 0 };
  const { input, spec } = await windowed(o, labelOf, async (w, s) => {
    if (!columns) {
      columns = [...featureNames(s), "label"];
      await o.write(`${columns.join(",")}\n`);
    }
    const { data, cols } = w.x;
    let text = "";
    for (let i = 0; i < w.x.rows; i++) {
      const l = w.label[i];
      if (l === 1) byLabel.botnet++;
      else if (l === 0) byLabel.normal++;
      else byLabel.background++;
      if (l < 0 && !o.all) continue;
      rows++;
      let line = "";
      for (let j = 0; j < cols; j++) line += `${data[i * cols + j]},`;
      text += `${line}${l}\n`;
      if (text.length > 1 << 20) {
        await o.write(text);
        text = "";
      }
    }
    if (text) await o.write(text);
  });
  if (!columns) {
    columns = spec ? [...featureNames(spec), "label"] : ["label"];
    await o.write(`${columns.join(",")}\n`);
  }
  return { ...input, rows, columns, labels: name, byLabel };
}

// ---------------------------------------------------------------------------------------------- train

export interface TrainOptions extends FlowInputOptions, WindowingOptions, LabelOptions {
  modelPath: string;
  seed?: number;
  balanced?: boolean;
  trees?: number;
  jobs?: number;
  maxDepth?: number;
}

export interface TrainSummary extends InputSummary {
  model: string;
  labels: string;
  rows: number;
  byLabel: { botnet: number; normal: number };
  features: number;
  trees: number;
  nodes: number;
  seconds: { features: number; training: number };
  topFeatures: { name: string; importance: number }[];
}

/** Growable rows of a matrix. */
class RowBuffer {
  data = new Float64Array(1 << 16);
  rows = 0;
  constructor(readonly cols: number) {}
  push(src: Float64Array, offset: number): void {
    const need = (this.rows + 1) * this.cols;
    if (need > this.data.length) {
      const d = new Float64Array(Math.max(need, this.data.length * 2));
      d.set(this.data);
      this.data = d;
    }
    this.data.set(src.subarray(offset, offset + this.cols), this.rows * this.cols);
    this.rows++;
  }
}

/**
 * Trains a flow model on the labelled rows (botnet and normal; background is not trained on, as botd)
 * of every window and saves it.
 */
export async function trainFlows(o: TrainOptions): Promise<TrainSummary> {
  const { labelOf, name } = await labelSource(o);
  const t0 = performance.now();
  let buf: RowBuffer | undefined;
  const y: number[] = [];
  const byLabel = { botnet: 0, normal: 0 };
  const { input, spec } = await windowed(o, labelOf, (w) => {
    buf ??= new RowBuffer(w.x.cols);
    for (let i = 0; i < w.x.rows; i++) {
      const l = w.label[i];
      if (l < 0) continue;
      buf.push(w.x.data, i * w.x.cols);
      y.push(l);
      if (l === 1) byLabel.botnet++;
      else byLabel.normal++;
    }
  });
  if (!buf || !spec || buf.rows === 0) {
    throw new UserError(
      `no labelled flows to train on (labels from ${name}; background is never trained on)`,
    );
  }
  if (byLabel.botnet === 0 || byLabel.normal === 0) {
    throw new UserError(
      `training needs botnet and normal flows; found ${byLabel.botnet} botnet and ${byLabel.normal} normal (labels from ${name})`,
    );
  }
  const t1 = performance.now();
  const x = { data: buf.data.subarray(0, buf.rows * buf.cols), rows: buf.rows, cols: buf.cols };
  const forest = await RandomForest.fit(x, y, {
    trees: o.trees,
    seed: o.seed,
    balanced: o.balanced,
    jobs: o.jobs,
    maxDepth: o.maxDepth,
    featureNames: featureNames(spec),
  });
  const t2 = performance.now();
  await saveFlowModel(forest, spec, o.modelPath, {
    files: o.files,
    labels: name,
    from: o.from ?? null,
    to: o.to ?? null,
    rows: buf.rows,
    byLabel,
  });
  const topFeatures = [...forest.importances]
    .map((importance, i) => ({ name: forest.featureNames[i], importance }))
    .sort((a, b) => b.importance - a.importance)
    .slice(0, 10);
  return {
    ...input,
    model: o.modelPath,
    labels: name,
    rows: buf.rows,
    byLabel,
    features: buf.cols,
    trees: forest.trees,
    nodes: forest.nodes,
    seconds: { features: (t1 - t0) / 1000, training: (t2 - t1) / 1000 },
    topFeatures,
  };
}

// ---------------------------------------------------------------------------------------------- detect

export interface DetectAppOptions extends FlowInputOptions {
  /** A models directory (DIR/unused/ ignored) ... */
  modelsDir?: string;
  /** ... or models already loaded. */
  models?: FlowModel[];
  internal: string[];
  threshold?: number;
  score?: ScoreOptions;
  jobs?: number;
  lateness?: number;
  /** Per-window rows for every host in the result (default: hosts that were ever suspicious). */
  fullTimeline?: boolean;
  /** Write a flow_runs row and host_scores rows (hashed and encrypted hosts). */
  store?: { store: Store; config: Config };
}

export interface TimelinePoint {
  window: number;
  start: number;
  flows: number;
  botnetFlows: number;
  r: number;
  score: number;
  status: HostStatus;
  reason: string;
}

export interface HostSummary {
  host: string;
  model: string;
  /** Worst status in any window ... */
  worst: HostStatus;
  /** ... and why, when it was first reached. */
  worstReason: string;
  /** Status in the last window the host was scored in, and why. */
  status: HostStatus;
  reason: string;
  firstRed: number | null;
  redWindows: number;
  yellowWindows: number;
  maxScore: number;
  flows: number;
  botnetFlows: number;
  timeline?: TimelinePoint[];
}

export interface DetectSummary extends InputSummary {
  models: { name: string; path: string; trees: number; windowSeconds: number; stepSeconds: number }[];
  skipped: string[];
  internal: string[];
  windows: number;
  /** Rows predicted botnet per model. */
  predictedBotnet: Record<string, number>;
  /** Hosts red in any model. */
  red: string[];
  yellow: string[];
  hosts: HostSummary[];
  runId: number | null;
  seconds: number;
}

const RANK: Record<HostStatus, number> = { clear: 0, yellow: 1, red: 2 };

/** Runs the models of a directory over flows: per internal host and window, counts, scores and status. */
export async function detectFlows(o: DetectAppOptions): Promise<DetectSummary> {
  const t0 = performance.now();
  let models = o.models;
  let skipped: string[] = [];
  if (!models) {
    if (!o.modelsDir) throw new UserError("no models: give --models DIR");
    ({ models, skipped } = await loadModelsDir(o.modelsDir));
  }
  const hosts = new Map<string, HostSummary>();
  const timelines = new Map<string, TimelinePoint[]>();
  const predictedBotnet: Record<string, number> = {};
  const windows = new Set<number>();
  for (const m of models) predictedBotnet[m.name] = 0;

  let run: { id: number; write: (m: ModelWindow) => Promise<void> } | undefined;
  if (o.store) run = await startRun(o.store.store, o.store.config, o, models);
  try {
    const detector = new FlowDetector(
      models,
      { internal: o.internal, threshold: o.threshold, score: o.score, jobs: o.jobs, lateness: o.lateness },
      async (m) => {
        windows.add(m.window.index);
        predictedBotnet[m.model] += m.predictedBotnet;
        for (const h of m.hosts) track(hosts, timelines, m, h);
        if (run) await run.write(m);
      },
    );
    let stats: FlowReadStats;
    let outsideTime: number;
    try {
      ({ stats, outsideTime } = await readInput(
        o,
        (f) => detector.push(f),
        () => detector.advance(),
      ));
      await detector.finish();
    } finally {
      await detector.close();
    }
    const list = [...hosts.values()].sort(
      (a, b) => RANK[b.worst] - RANK[a.worst] || b.maxScore - a.maxScore || a.host.localeCompare(b.host),
    );
    for (const h of list) {
      const t = timelines.get(`${h.model}\u0000${h.host}`);
      if (t && (o.fullTimeline || h.worst !== "clear" || h.botnetFlows > 0)) h.timeline = t;
    }
    const red = [...new Set(list.filter((h) => h.worst === "red").map((h) => h.host))].sort();
    const yellow = [
      ...new Set(list.filter((h) => h.worst === "yellow" && !red.includes(h.host)).map((h) => h.host)),
    ].sort();
    const seconds = (performance.now() - t0) / 1000;
    if (run) await finishFlowRun(o.store!.store, run.id, Date.now() / 1000);
    return {
      ...summary(stats, outsideTime, detector.stats),
      models: models.map((m) => ({
        name: m.name,
        path: m.path,
        trees: m.forest.trees,
        windowSeconds: m.spec.windowSeconds,
        stepSeconds: m.spec.stepSeconds,
      })),
      skipped,
      internal: o.internal,
      windows: windows.size,
      predictedBotnet,
      red,
      yellow,
      hosts: list,
      runId: run?.id ?? null,
      seconds,
    };
  } catch (e) {
    if (run) await deleteFlowRun(o.store!.store, run.id);
    throw e;
  }
}

function track(
  hosts: Map<string, HostSummary>,
  timelines: Map<string, TimelinePoint[]>,
  m: ModelWindow,
  h: HostWindowScore,
): void {
  const key = `${m.model}\u0000${h.host}`;
  let s = hosts.get(key);
  if (!s) {
    s = {
      host: h.host,
      model: m.model,
      worst: "clear",
      worstReason: "",
      status: "clear",
      reason: "",
      firstRed: null,
      redWindows: 0,
      yellowWindows: 0,
      maxScore: 0,
      flows: 0,
      botnetFlows: 0,
    };
    hosts.set(key, s);
  }
  s.flows += h.flows;
  s.botnetFlows += h.botnetFlows;
  s.maxScore = Math.max(s.maxScore, h.score);
  s.status = h.status;
  s.reason = h.reason;
  if (RANK[h.status] > RANK[s.worst]) {
    s.worst = h.status;
    s.worstReason = h.reason;
  }
  if (h.status === "red") {
    s.redWindows++;
    s.firstRed ??= m.window.start;
  } else if (h.status === "yellow") s.yellowWindows++;
  let t = timelines.get(key);
  if (!t) {
    t = [];
    timelines.set(key, t);
  }
  t.push({
    window: m.window.index,
    start: m.window.start,
    flows: h.flows,
    botnetFlows: h.botnetFlows,
    r: h.r,
    score: h.score,
    status: h.status,
    reason: h.reason,
  });
}

async function startRun(
  store: Store,
  config: Config,
  o: DetectAppOptions,
  models: FlowModel[],
): Promise<{ id: number; write: (m: ModelWindow) => Promise<void> }> {
  const { key, cipher } = await currentKey(store, config);
  const hasher = ipHasher(config);
  const tokens = new Map<string, { hash: string; encrypted: string }>();
  const tokenOf = (host: string) => {
    let t = tokens.get(host);
    if (!t) {
      t = { hash: hasher.hash(host), encrypted: cipher.encrypt(host) };
      tokens.set(host, t);
    }
    return t;
  };
  const first = models[0].spec;
  const run = await createFlowRun(store, {
    kind: "detect",
    source: o.files.join(" "),
    started_at: Date.now() / 1000,
    finished_at: null,
    window_seconds: first.windowSeconds,
    step_seconds: first.stepSeconds,
    parameters: JSON.stringify({
      models: models.map((m) => ({
        name: m.name,
        windowSeconds: m.spec.windowSeconds,
        stepSeconds: m.spec.stepSeconds,
        trees: m.forest.trees,
      })),
      internal: o.internal,
      threshold: o.threshold ?? 0.5,
      score: o.score ?? {},
    }),
    key_id: key.id,
  });
  return {
    id: run.id,
    write: async (m) => {
      const rows: NewHostScore[] = m.hosts.map((h) => {
        const t = tokenOf(h.host);
        return {
          run_id: run.id,
          host_hash: t.hash,
          host_encrypted: t.encrypted,
          window_start: m.window.start,
          window_end: m.window.end,
          model: m.model,
          flows: h.flows,
          botnet_flows: h.botnetFlows,
          score: h.score,
          status: h.status,
          reason: h.reason || null,
        };
      });
      await insertHostScores(store, rows);
    },
  };
}

// ---------------------------------------------------------------------------------------------- evaluate

export interface EvaluateOptions extends FlowInputOptions, LabelOptions {
  modelPath?: string;
  model?: FlowModel;
  internal: string[];
  threshold?: number;
  score?: ScoreOptions;
  jobs?: number;
  lateness?: number;
}

export interface FlowMetrics {
  rows: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

export interface EvaluateSummary extends InputSummary {
  model: string;
  labels: string;
  windows: number;
  /** Per flow and window (the rows the model sees), labelled rows only. */
  perFlow: FlowMetrics;
  /** Garcia et al. per IP per window; decided by "at least one flow of the IP (as source) predicted botnet". */
  garcia: GarciaMetrics;
  /** The same, decided by the host's status: red. */
  garciaByStatus: GarciaMetrics;
  /** Labelled addresses (botnet, normal) and their worst status. */
  hosts: { host: string; truth: "botnet" | "normal"; worst: HostStatus; redWindows: number }[];
}

/** Per-flow and Garcia et al. metrics of one model on labelled flows. */
export async function evaluateFlows(o: EvaluateOptions): Promise<EvaluateSummary> {
  const model = o.model ?? (o.modelPath ? await loadFlowModel(o.modelPath) : undefined);
  if (!model) throw new UserError("no model: give --model FILE");
  const { labelOf, name } = await labelSource(o);
  const truthRows: number[] = [];
  const predRows: number[] = [];
  const byFlow: IpDecision[][] = [];
  const byStatus: IpDecision[][] = [];
  const hostTruth = new Map<string, "botnet" | "normal">();
  const hostWorst = new Map<string, { worst: HostStatus; redWindows: number }>();
  const threshold = o.threshold ?? 0.5;
  const detector = new FlowDetector(
    [model],
    { internal: o.internal, threshold, score: o.score, jobs: o.jobs, lateness: o.lateness },
    (m) => {
      const w = m.window;
      const ips = new Map<number, { truth: RowLabel; detected: boolean }>();
      for (let i = 0; i < w.x.rows; i++) {
        const l = w.label[i] as RowLabel;
        const predicted = m.botnet[i] === 1;
        if (l >= 0) {
          truthRows.push(l);
          predRows.push(predicted ? 1 : 0);
        }
        const s = w.src[i];
        const e = ips.get(s);
        if (!e) ips.set(s, { truth: l, detected: predicted });
        else {
          if (l > e.truth) e.truth = l;
          if (predicted) e.detected = true;
        }
      }
      const status = new Map(m.hosts.map((h) => [h.host, h.status]));
      for (const h of m.hosts) {
        const s = hostWorst.get(h.host) ?? { worst: "clear" as HostStatus, redWindows: 0 };
        if (RANK[h.status] > RANK[s.worst]) s.worst = h.status;
        if (h.status === "red") s.redWindows++;
        hostWorst.set(h.host, s);
      }
      const flowDecisions: IpDecision[] = [];
      const statusDecisions: IpDecision[] = [];
      for (const [id, e] of ips) {
        const truth: IpTruth = e.truth === 1 ? "botnet" : e.truth === 0 ? "normal" : "background";
        if (truth === "background") continue;
        const host = m.hostName(id);
        if (truth === "botnet" || !hostTruth.has(host)) hostTruth.set(host, truth);
        flowDecisions.push({ truth, detected: e.detected });
        statusDecisions.push({ truth, detected: status.get(host) === "red" });
      }
      byFlow.push(flowDecisions);
      byStatus.push(statusDecisions);
    },
    labelOf,
  );
  let stats: FlowReadStats;
  let outsideTime: number;
  try {
    ({ stats, outsideTime } = await readInput(
      o,
      (f) => detector.push(f),
      () => detector.advance(),
    ));
    await detector.finish();
  } finally {
    await detector.close();
  }
  const c = confusion(truthRows, predRows);
  const prf = precisionRecallF1(c);
  return {
    ...summary(stats, outsideTime, detector.stats),
    model: model.path,
    labels: name,
    windows: byFlow.length,
    perFlow: { rows: truthRows.length, ...c, ...prf },
    garcia: garciaMetrics(byFlow),
    garciaByStatus: garciaMetrics(byStatus),
    hosts: [...hostTruth.entries()]
      .map(([host, truth]) => ({
        host,
        truth,
        worst: hostWorst.get(host)?.worst ?? ("clear" as HostStatus),
        redWindows: hostWorst.get(host)?.redWindows ?? 0,
      }))
      .sort((a, b) => (a.truth === b.truth ? a.host.localeCompare(b.host) : a.truth === "botnet" ? -1 : 1)),
  };
}

/** A flow model from a freshly trained forest (tests, benchmarks). */
export function flowModelOf(forest: RandomForest, spec: FeatureSpec, name: string): FlowModel {
  forest.meta = { ...forest.meta, flows: { spec } };
  return asFlowModel(forest, `${name}.forest`);
}
