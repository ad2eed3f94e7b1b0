/**
 * The anomaly watcher per target: a signal (success ratio, request rate, IP rate) and its anomaly score
 * against the threshold, with the incidents the watcher opened shaded; the events below.
 */
import { api } from "../api.ts";
import { type TimelineOptions, timelineChart, timelineOption } from "../charts/timeline.ts";
import { fmtNum, fmtTime, h, loading, section, table } from "../dom.ts";
import { href, navigate, type ViewContext } from "../router.ts";
import type { AnomalyEvent, AnomalySeries, AnomalyTarget } from "../types.ts";

const SIGNALS: [string, string][] = [
  ["success_ratio", "success ratio"],
  ["request_rate", "request rate"],
  ["ip_rate", "distinct-IP rate"],
];

/** started -> stopped pairs per incident as shaded periods (an open one runs to the series' end). */
function incidentBands(events: AnomalyEvent[], end: number) {
  const open = new Map<number | string, AnomalyEvent>();
  const bands: { from: number; to: number; label: string }[] = [];
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    const key = e.incidentId ?? `${e.signal}`;
    if (e.kind === "started") {
      if (!open.has(key)) open.set(key, e);
    } else {
      const s = open.get(key);
      if (s) {
        bands.push({ from: s.at, to: e.at, label: e.incidentId ? `incident #${e.incidentId}` : "anomaly" });
        open.delete(key);
      }
    }
  }
  for (const s of open.values())
    bands.push({ from: s.at, to: end, label: s.incidentId ? `incident #${s.incidentId}` : "anomaly" });
  return bands;
}

export async function anomalyView(ctx: ViewContext): Promise<void> {
  ctx.root.append(h("h1", { tabindex: -1 }, "Anomaly timeline"), loading("watched targets"));
  const targets = await api.get<AnomalyTarget[]>("anomaly/targets", {}, ctx.signal);
  ctx.root.lastElementChild!.remove();
  if (targets.length === 0) {
    ctx.root.append(h("p", {}, "No watched target yet: run `botscope watch LOG` (or `--replay`)."));
    return;
  }
  const target = ctx.query.get("target") ?? targets[0].target;
  const signal = ctx.query.get("signal") ?? "success_ratio";
  const live = ctx.query.get("live") === "1";
  const go = (patch: Record<string, string>) =>
    navigate(href("/anomaly", { target, signal, live: live ? "1" : "", ...patch }));
  ctx.root.append(
    h(
      "div",
      { class: "row" },
      h("label", { for: "atarget" }, "Target"),
      h(
        "select",
        { id: "atarget", onchange: (e: Event) => go({ target: (e.target as HTMLSelectElement).value }) },
        ...targets.map((t) =>
          h(
            "option",
            { value: t.target, selected: t.target === target },
            `${t.target} (${t.incidents} incidents)`,
          ),
        ),
      ),
      h("label", { for: "asignal" }, "Signal"),
      h(
        "select",
        { id: "asignal", onchange: (e: Event) => go({ signal: (e.target as HTMLSelectElement).value }) },
        ...SIGNALS.map(([v, t]) => h("option", { value: v, selected: v === signal }, t)),
      ),
    ),
    loading("the series"),
  );
  const liveBox = h("input", { type: "checkbox", id: "alive", checked: live });
  liveBox.addEventListener("change", () => go({ live: liveBox.checked ? "1" : "" }));
  ctx.root
    .querySelector(".row")!
    .append(h("label", { class: "inline" }, liveBox, "Follow live (every 30 s)"));
  const name = SIGNALS.find(([v]) => v === signal)?.[1] ?? signal;
  const load = () =>
    Promise.all([
      api.get<AnomalySeries>("anomaly/series", { target, signal, maxPoints: 2000 }, ctx.signal),
      api.get<AnomalyEvent[]>("anomaly/events", { target }, ctx.signal),
    ]);
  const chartOptions = (series: AnomalySeries, events: AnomalyEvent[]): TimelineOptions => {
    const last = series.points.length ? series.points[series.points.length - 1][0] + series.interval : 0;
    const bands = incidentBands(events, last);
    const over = series.points.filter((p) => p[2] >= series.threshold).length;
    return {
      label: `${name} of ${target} and its anomaly score over ${fmtNum(series.total)} buckets; ${over} points over the threshold ${series.threshold}; ${bands.length} incidents`,
      caption: `${name} (left) and anomaly score (right) per ${series.interval}-s bucket; dashed: the threshold; shaded: incidents the watcher opened.`,
      height: 360,
      series: [
        { name, points: series.points.map((p) => [p[0], p[1]]), color: "#4e79a7" },
        { name: "anomaly score", axis: 1, points: series.points.map((p) => [p[0], p[2]]), color: "#e15759" },
      ],
      yNames: [name, "score"],
      yMax: [undefined, 1],
      threshold: { value: series.threshold, axis: 1, label: `threshold ${series.threshold}` },
      bands,
    };
  };
  const eventsTable = (events: AnomalyEvent[]) =>
    table(
      `Anomaly events of ${target}`,
      [
        { label: "At", value: (e) => fmtTime(e.at) },
        { label: "Event", value: (e) => e.kind },
        { label: "Signal", value: (e) => e.signal },
        { label: "Score", value: (e) => fmtNum(e.score, 3), numeric: true },
        {
          label: "Incident",
          value: (e) =>
            e.incidentId ? h("a", { href: href(`/incidents/${e.incidentId}`) }, `#${e.incidentId}`) : "–",
        },
      ],
      events,
      "No anomaly events.",
    );
  const [series, events] = await load();
  ctx.root.lastElementChild!.remove();
  const opts = chartOptions(series, events);
  const chart = timelineChart(ctx, opts);
  chart.figure.id = "anomaly-timeline";
  const eventsBox = h("div", {}, eventsTable(events));
  ctx.root.append(chart.figure, section("Events", eventsBox));
  if (live) {
    // new buckets and events as the watcher stores them; the zoom the user chose stays
    const timer = window.setInterval(async () => {
      try {
        const [s, e] = await load();
        const next = chartOptions(s, e);
        chart.chart.setOption({ series: timelineOption(next).series });
        chart.figure.querySelector(".chart")!.setAttribute("aria-label", next.label);
        eventsBox.replaceChildren(eventsTable(e));
      } catch {
        // the next tick tries again
      }
    }, 30_000);
    ctx.onDispose(() => clearInterval(timer));
  }
}
