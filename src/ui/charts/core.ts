/**
 * ECharts with only the parts the dashboard draws (tree-shaken `echarts/core`), and a figure wrapper:
 * every chart is an image with an aria label, a caption, and where it matters the same numbers as a table.
 */
import { BarChart, BoxplotChart, LineChart, MapChart, ScatterChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { h } from "../dom.ts";
import type { ViewContext } from "../router.ts";

echarts.use([
  BarChart,
  BoxplotChart,
  LineChart,
  MapChart,
  ScatterChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkAreaComponent,
  MarkLineComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export { echarts };
export type EChartsOption = echarts.EChartsCoreOption;

/** One colour per cluster, the same in every chart; noise (cluster 0 of DBSCAN) is grey. */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#1b9e77",
  "#d95f02",
  "#7570b3",
];
export function clusterColor(cluster: number): string {
  return cluster === 0 ? "#9a9a9a" : PALETTE[(cluster - 1) % PALETTE.length];
}

export interface Figure {
  figure: HTMLElement;
  chart: echarts.ECharts;
}

/**
 * A chart in a <figure>: role img with `label` for screen readers, caption below, optional data table
 * (collapsed) as the text alternative. Disposed with the view; follows the container's size.
 */
export function figure(
  ctx: ViewContext,
  opts: { label: string; caption?: string; table?: HTMLElement; height?: number; className?: string },
): Figure {
  const box = h("div", {
    class: "chart",
    role: "img",
    "aria-label": opts.label,
    style: `height:${opts.height ?? 280}px`,
  });
  const fig = h(
    "figure",
    { class: opts.className ?? null },
    box,
    opts.caption ? h("figcaption", {}, opts.caption) : null,
    opts.table ? h("details", {}, h("summary", {}, "Data table"), opts.table) : null,
  );
  // charts are built before they are attached: start at a nominal size (a map cannot lay out at 0 x 0)
  // and follow the container once it is on the page
  const chart = echarts.init(box, undefined, { renderer: "canvas", width: 600, height: opts.height ?? 280 });
  const resize = new ResizeObserver(() => {
    if (!chart.isDisposed() && box.clientWidth > 0) chart.resize({ width: "auto", height: "auto" });
  });
  resize.observe(box);
  observers.set(box, resize);
  ctx.onDispose(() => disposeChart(box));
  return { figure: fig, chart };
}

const observers = new WeakMap<Element, ResizeObserver>();

function disposeChart(box: Element): void {
  observers.get(box)?.disconnect();
  const chart = echarts.getInstanceByDom(box as HTMLElement);
  if (chart && !chart.isDisposed()) chart.dispose();
}

/** replaceChildren that first disposes the charts being replaced (redraws would leak them otherwise). */
export function replaceCharts(container: Element, ...nodes: (Node | string | null)[]): void {
  for (const box of container.querySelectorAll(".chart")) disposeChart(box);
  container.replaceChildren(...nodes.filter((n): n is Node | string => n !== null));
}
