/**
 * Looking at the clusters: a 3-D (or PCA) scatter of sampled sessions, box plots of one feature per
 * cluster, countries on a map and per cluster, and the overlap of each cluster with another incident,
 * attack or botnet. Aggregation and sampling happen on the server, so 100k-session incidents stay fluid.
 */
import { api } from "../api.ts";
import { barChart, clusterItems } from "../charts/bar.ts";
import { boxChart } from "../charts/box.ts";
import { figure, replaceCharts } from "../charts/core.ts";
import { countryName, worldMap } from "../charts/map.ts";
import { scatterChart } from "../charts/scatter.ts";
import { errorBox, fmtNum, fmtPct, h, loading, section, table } from "../dom.ts";
import { setQuery } from "../router.ts";
import type {
  AttackReport,
  BotnetSummary,
  BoxRow,
  CountryRow,
  Incident,
  Overlap,
  Scatter,
} from "../types.ts";
import { type IncidentState, listParam } from "./incident.ts";
import { clusterName } from "./incident-clusters.ts";
import { sessionsSection } from "./incident-sessions.ts";

function select(
  id: string,
  label: string,
  options: [string, string][],
  value: string,
  onChange: (v: string) => void,
) {
  const el = h(
    "select",
    { id },
    ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
  el.addEventListener("change", () => onChange(el.value));
  return [h("label", { for: id }, label), el];
}

function featureOptions(state: IncidentState): [string, string][] {
  return state.features.map((f) => [f.name, f.label]);
}

function defaultAxes(state: IncidentState): string[] {
  const chosen = listParam(state.ctx.query, "features");
  const auto = state.features.filter((f) => f.auto).map((f) => f.name);
  return [...chosen, ...auto, ...state.features.map((f) => f.name)]
    .filter((f, i, a) => a.indexOf(f) === i)
    .slice(0, 3);
}

function scatterSection(state: IncidentState): HTMLElement {
  const q = state.ctx.query;
  const [dx, dy, dz] = defaultAxes(state);
  const axes = { x: q.get("x") ?? dx, y: q.get("y") ?? dy, z: q.get("z") ?? dz };
  let pca = q.get("pca") === "1";
  let flat = q.get("flat") === "1";
  let sample = Number(q.get("sample") ?? 5000) || 5000;
  // log1p axes by default: rates and sizes span orders of magnitude
  let logAxes = q.get("slog") !== "0";
  const chartBox = h("div", {});
  const draw = async () => {
    replaceCharts(chartBox, loading("the scatter sample"));
    const features = listParam(state.ctx.query, "features");
    const s = await api.get<Scatter>(
      `incidents/${state.id}/scatter`,
      pca
        ? { pca: 1, dims: 3, features: features.join(",") || null, log: logAxes ? 1 : 0, sample }
        : { ...axes, log: logAxes ? 1 : 0, sample },
      state.ctx.signal,
    );
    const points = s.points
      .filter((p) => p[0] !== null && p[1] !== null)
      .map((p) => [p[0]!, p[1]!, p[2] ?? Number.NaN, p[3] ?? 0] as [number, number, number, number]);
    const names = pca
      ? s.axes.map((a, i) => (s.explained ? `${a} (${fmtPct(s.explained[i], 0)})` : a))
      : [axes.x, axes.y, axes.z].map((a) => (logAxes ? `log1p ${a}` : a));
    const f = await scatterChart(state.ctx, {
      label: `Scatter of ${fmtNum(points.length)} sampled sessions of ${fmtNum(s.total)} in ${names.join(", ")}, coloured by cluster`,
      caption: `${fmtNum(s.sampled)} of ${fmtNum(s.total)} sessions, sampled on the server per cluster.`,
      data: { axes: [names[0], names[1], names[2] ?? ""], points },
      force2d: flat,
    });
    f.figure.id = "scatter";
    replaceCharts(
      chartBox,
      f.figure,
      f.mode === "2d" && !flat
        ? h("p", { class: "note" }, "No WebGL here: drawn in 2-D, the third axis as point size.")
        : null,
    );
  };
  const redraw = () => void draw().catch((err) => replaceCharts(chartBox, errorBox(err)));
  const axisSelect = (k: "x" | "y" | "z") =>
    select(`scatter-${k}`, k, featureOptions(state), axes[k], (v) => {
      axes[k] = v;
      setQuery({ [k]: v });
      redraw();
    });
  const pcaBox = h("input", { type: "checkbox", id: "scatter-pca", checked: pca });
  pcaBox.addEventListener("change", () => {
    pca = pcaBox.checked;
    setQuery({ pca: pca ? 1 : null });
    redraw();
  });
  const flatBox = h("input", { type: "checkbox", id: "scatter-flat", checked: flat });
  flatBox.addEventListener("change", () => {
    flat = flatBox.checked;
    setQuery({ flat: flat ? 1 : null });
    redraw();
  });
  const logBox = h("input", { type: "checkbox", id: "scatter-log", checked: logAxes });
  logBox.addEventListener("change", () => {
    logAxes = logBox.checked;
    setQuery({ slog: logAxes ? null : 0 });
    redraw();
  });
  redraw();
  return section(
    "Sessions in three features",
    h(
      "div",
      { class: "row" },
      ...axisSelect("x"),
      ...axisSelect("y"),
      ...axisSelect("z"),
      h("label", { class: "inline" }, pcaBox, "PCA of the clustering features"),
      h("label", { class: "inline" }, logBox, "log1p"),
      h("label", { class: "inline" }, flatBox, "2-D"),
      ...select(
        "scatter-sample",
        "points",
        ["1000", "2000", "5000", "10000", "20000"].map((v): [string, string] => [v, v]),
        String(sample),
        (v) => {
          sample = Number(v);
          setQuery({ sample: sample === 5000 ? null : sample });
          redraw();
        },
      ),
    ),
    chartBox,
  );
}

function boxSection(state: IncidentState): HTMLElement {
  const chartBox = h("div", {});
  let feature = state.ctx.query.get("box") ?? defaultAxes(state)[0];
  // session features are heavy-tailed: a log axis by default
  let log = state.ctx.query.get("boxlog") !== "0";
  const draw = async () => {
    replaceCharts(chartBox, loading("box plots"));
    const rows = await api.get<BoxRow[]>(
      `incidents/${state.id}/clusters/box`,
      { feature, level: 1 },
      state.ctx.signal,
    );
    const full = rows.filter((r) => r.min !== null) as (BoxRow & {
      min: number;
      q1: number;
      median: number;
      q3: number;
      max: number;
    })[];
    const label = state.features.find((f) => f.name === feature)?.label ?? feature;
    const t = table(
      `${label} per cluster`,
      [
        { label: "Cluster", value: (r) => clusterName(r.cluster) },
        { label: "Sessions", value: (r) => fmtNum(r.n), numeric: true },
        { label: "Min", value: (r) => fmtNum(r.min), numeric: true },
        { label: "Q1", value: (r) => fmtNum(r.q1), numeric: true },
        { label: "Median", value: (r) => fmtNum(r.median), numeric: true },
        { label: "Q3", value: (r) => fmtNum(r.q3), numeric: true },
        { label: "Max", value: (r) => fmtNum(r.max), numeric: true },
      ],
      rows,
    );
    const f = boxChart(state.ctx, {
      label: `Box plot of ${label} per cluster`,
      caption: `${label}: minimum, quartiles and maximum per cluster.`,
      rows: full,
      log,
      table: t,
    });
    replaceCharts(chartBox, f.figure);
  };
  const redraw = () => void draw().catch((err) => replaceCharts(chartBox, errorBox(err)));
  const logBox = h("input", { type: "checkbox", id: "box-log", checked: log });
  logBox.addEventListener("change", () => {
    log = logBox.checked;
    setQuery({ boxlog: log ? null : 0 });
    redraw();
  });
  redraw();
  return section(
    "Feature per cluster",
    h(
      "div",
      { class: "row" },
      ...select("box-feature", "Feature", featureOptions(state), feature, (v) => {
        feature = v;
        setQuery({ box: v });
        redraw();
      }),
      h("label", { class: "inline" }, logBox, "log scale"),
    ),
    chartBox,
  );
}

function countriesSection(state: IncidentState): HTMLElement {
  const rows = state.clusters?.clusters ?? [];
  const mapBox = h("div", {});
  let cluster = state.ctx.query.get("country") ?? "";
  const draw = async () => {
    replaceCharts(mapBox, loading("countries"));
    const data = await api.get<CountryRow[]>(
      `incidents/${state.id}/countries`,
      { cluster, level: 1 },
      state.ctx.signal,
    );
    const scope = cluster === "" ? "all sessions" : clusterName(Number(cluster));
    const t = table(
      `Countries of ${scope}`,
      [
        { label: "Country", value: (r) => `${countryName(r.country)} (${r.country})` },
        { label: "Sessions", value: (r) => fmtNum(r.sessions), numeric: true },
        { label: "IPs", value: (r) => fmtNum(r.ips), numeric: true },
      ],
      data,
    );
    const f = await worldMap(state.ctx, {
      label: `Map of sessions per country for ${scope}: ${data
        .slice(0, 5)
        .map((r) => `${countryName(r.country)} ${r.sessions}`)
        .join(", ")}`,
      caption: `Sessions per country, ${scope}.`,
      rows: data,
      table: t,
    });
    replaceCharts(mapBox, f.figure);
  };
  const redraw = () => void draw().catch((err) => replaceCharts(mapBox, errorBox(err)));
  redraw();
  // top countries of every cluster side by side, as shares of the cluster
  const countries = [...new Set(rows.flatMap((r) => r.countries.slice(0, 3).map((c) => c.country)))];
  const stacked = figure(state.ctx, {
    label: `Top countries per cluster: ${rows
      .map(
        (r) =>
          `${clusterName(r.cluster)}: ${r.countries
            .slice(0, 3)
            .map((c) => c.country)
            .join(" ")}`,
      )
      .join("; ")}`,
    caption: "Share of each cluster's sessions from its top countries.",
  });
  stacked.chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0, type: "scroll" },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: "category", data: rows.map((r) => clusterName(r.cluster)) },
    yAxis: { type: "value", max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: countries.map((c) => ({
      type: "bar",
      stack: "countries",
      name: `${countryName(c)} (${c})`,
      data: rows.map(
        (r) => (r.countries.find((x) => x.country === c)?.sessions ?? 0) / Math.max(1, r.sessions),
      ),
    })),
  });
  return section(
    "Countries",
    h(
      "div",
      { class: "row" },
      ...select(
        "country-cluster",
        "Sessions of",
        [
          ["", "all clusters"],
          ...rows.map((r): [string, string] => [String(r.cluster), clusterName(r.cluster)]),
        ],
        cluster,
        (v) => {
          cluster = v;
          setQuery({ country: v });
          redraw();
        },
      ),
    ),
    h("div", { class: "two" }, mapBox, stacked.figure),
  );
}

async function overlapSection(state: IncidentState): Promise<HTMLElement> {
  const [incidents, attacks, botnets] = await Promise.all([
    api.get<Incident[]>("incidents", {}, state.ctx.signal),
    api.get<AttackReport[]>("attacks", {}, state.ctx.signal),
    api.get<BotnetSummary[]>("botnets", {}, state.ctx.signal),
  ]);
  const options: [string, string][] = [
    ["", "choose…"],
    ...incidents
      .filter((i) => i.id !== state.id)
      .map((i): [string, string] => [`incident:${i.id}`, `incident #${i.id} ${i.target}`]),
    ...attacks
      .filter((a) => a.incidentId !== state.id)
      .map((a): [string, string] => [
        `attack:${a.attackId}`,
        `attack ${a.number} of incident #${a.incidentId} ${a.target}`,
      ]),
    ...botnets.map((b): [string, string] => [`botnet:${b.name}`, `botnet ${b.name}`]),
  ];
  const out = h("div", {});
  let against = state.ctx.query.get("overlap") ?? "";
  const draw = async () => {
    if (!against) {
      replaceCharts(
        out,
        h("p", {}, "Pick another incident, attack or botnet to see which clusters share its IPs."),
      );
      return;
    }
    replaceCharts(out, loading("the overlap"));
    const [kind, id] = [against.slice(0, against.indexOf(":")), against.slice(against.indexOf(":") + 1)];
    const o = await api.get<Overlap>(`incidents/${state.id}/overlap`, { [kind]: id }, state.ctx.signal);
    const t = table(
      `IPs shared with ${kind} ${id} (${fmtNum(o.against.ips)} IPs)`,
      [
        { label: "Cluster", value: (r) => clusterName(r.cluster) },
        { label: "IPs", value: (r) => fmtNum(r.ips), numeric: true },
        { label: "Shared", value: (r) => fmtNum(r.shared), numeric: true },
        { label: "Share", value: (r) => fmtPct(r.share), numeric: true },
      ],
      o.clusters,
    );
    const f = barChart(state.ctx, {
      label: `Share of each cluster's IPs seen in ${kind} ${id}: ${o.clusters.map((r) => `${clusterName(r.cluster)} ${fmtPct(r.share)}`).join(", ")}`,
      caption: `Share of each cluster's IPs also seen in ${kind} ${id}.`,
      items: clusterItems(o.clusters.map((r) => ({ cluster: r.cluster, value: r.share }))),
      percent: true,
      height: 220,
    });
    replaceCharts(out, f.figure, t);
  };
  const redraw = () => void draw().catch((err) => replaceCharts(out, errorBox(err)));
  redraw();
  return section(
    "Overlap with another incident, attack or botnet",
    h(
      "div",
      { class: "row" },
      ...select("overlap-with", "Compare with", options, against, (v) => {
        against = v;
        setQuery({ overlap: v });
        redraw();
      }),
    ),
    out,
  );
}

export async function explorePanel(state: IncidentState, box: HTMLElement): Promise<void> {
  if (!state.clusters) {
    replaceCharts(box, scatterSection(state), sessionsSection(state));
    return;
  }
  const overlap = loading("overlap choices");
  replaceCharts(
    box,
    scatterSection(state),
    boxSection(state),
    countriesSection(state),
    overlap,
    sessionsSection(state),
  );
  try {
    overlap.replaceWith(await overlapSection(state));
  } catch (err) {
    overlap.replaceWith(errorBox(err));
  }
}
