/**
 * One host of a flow run, like botd's per-host view: per window its flows, the flows a model predicts as
 * botnet, and the decaying host score against the red (0.85) and yellow (0.60) levels; why the status changed.
 */
import { api } from "../api.ts";
import { timelineChart } from "../charts/timeline.ts";
import { fmtNum, fmtTime, h, loading, section, table } from "../dom.ts";
import { href, navigate, type ViewContext } from "../router.ts";
import type { HostDetail } from "../types.ts";
import { hostLabel, statusBadge } from "./hosts.ts";

/** botd's thresholds, as applied by the detector (README: flows detect). */
const RED = 0.85;
const YELLOW = 0.6;

export async function hostView(ctx: ViewContext): Promise<void> {
  const run = ctx.params.run;
  const hostHash = ctx.params.host;
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: href("/hosts", { run }) }, `Hosts of run #${run}`), " / host"),
    h("h1", { tabindex: -1 }, "Host"),
    loading("the host timeline"),
  );
  const d = await api.get<HostDetail>(
    `flow-runs/${run}/hosts/${encodeURIComponent(hostHash)}`,
    {},
    ctx.signal,
  );
  ctx.root.lastElementChild!.remove();
  ctx.root.querySelector("h1")!.textContent = `Host ${hostLabel(d)}`;
  if (d.models.length === 0) {
    ctx.root.append(h("p", {}, "No windows for this host."));
    return;
  }
  const modelName = ctx.query.get("model") ?? d.models[0].model;
  const m = d.models.find((x) => x.model === modelName) ?? d.models[0];
  const worst = m.timeline.some((w) => w[4] === "red")
    ? "red"
    : m.timeline.some((w) => w[4] === "yellow")
      ? "yellow"
      : "clear";
  const modelSelect = h(
    "select",
    {
      id: "host-model",
      onchange: (e: Event) =>
        navigate(
          href(`/hosts/${run}/${encodeURIComponent(hostHash)}`, {
            model: (e.target as HTMLSelectElement).value,
          }),
        ),
    },
    ...d.models.map((x) => h("option", { value: x.model, selected: x.model === m.model }, x.model)),
  );
  // consecutive red windows as shaded bands
  const bands: { from: number; to: number; label: string }[] = [];
  for (const [t, , , , s] of m.timeline) {
    if (s !== "red") continue;
    const last = bands[bands.length - 1];
    if (last && t <= last.to) last.to = t + d.windowSeconds;
    else bands.push({ from: t, to: t + d.windowSeconds, label: "red" });
  }
  const windows = table(
    "Windows",
    [
      { label: "Window start", value: (w) => fmtTime(w[0]) },
      { label: "Flows", value: (w) => fmtNum(w[1]), numeric: true },
      { label: "Botnet flows", value: (w) => fmtNum(w[2]), numeric: true },
      { label: "Score", value: (w) => fmtNum(w[3], 3), numeric: true },
      { label: "Status", value: (w) => statusBadge(w[4]) },
    ],
    m.timeline,
  );
  const chart = timelineChart(ctx, {
    label: `Timeline of ${hostLabel(d)} with model ${m.model}: ${m.timeline.length} windows, ${bands.length} red periods, highest score ${Math.max(...m.timeline.map((w) => w[3])).toFixed(2)}`,
    caption: `Per ${d.windowSeconds}-s window: flows, flows predicted botnet, and the host score (right axis); red bands: red windows.`,
    table: windows,
    height: 340,
    series: [
      { name: "flows", type: "bar", points: m.timeline.map((w) => [w[0], w[1]]), color: "#9fb7d6" },
      { name: "botnet flows", type: "bar", points: m.timeline.map((w) => [w[0], w[2]]), color: "#e15759" },
      { name: "score", axis: 1, points: m.timeline.map((w) => [w[0], w[3]]), color: "#333" },
    ],
    yNames: ["flows", "score"],
    yMax: [undefined, 1],
    threshold: { value: RED, axis: 1, label: `red ${RED}` },
    bands,
  });
  chart.figure.id = "host-timeline";
  ctx.root.append(
    h(
      "div",
      { class: "row" },
      h("span", { id: "host-status" }, "Status: ", statusBadge(worst)),
      h("label", { for: "host-model" }, "Model"),
      modelSelect,
    ),
    chart.figure,
    section(
      "Why",
      h(
        "p",
        { class: "note" },
        `Red at a score of ${RED} or more, or ${YELLOW} or more and rising, for 3 windows in a row.`,
      ),
      table(
        "Status changes and their reasons",
        [
          { label: "Window start", value: (r) => fmtTime(r[0]) },
          { label: "Status", value: (r) => statusBadge(r[1]) },
          { label: "Reason", value: (r) => r[2] },
        ],
        m.reasons,
        "The status never changed.",
      ),
    ),
  );
}
