import type { ViewContext } from "../router.ts";
import { clusterColor, type EChartsOption, type Figure, figure } from "./core.ts";

export interface BarItem {
  name: string;
  value: number;
  color?: string;
  /** Drawn dimmed: e.g. clusters not selected. */
  dim?: boolean;
}

/** Horizontal-label bar chart; `onClick` gets the bar's index (cluster selection). */
export function barChart(
  ctx: ViewContext,
  opts: {
    label: string;
    caption?: string;
    table?: HTMLElement;
    items: BarItem[];
    yName?: string;
    percent?: boolean;
    height?: number;
    onClick?: (index: number) => void;
  },
): Figure {
  const f = figure(ctx, opts);
  f.chart.setOption(barOption(opts.items, opts));
  if (opts.onClick) {
    const click = opts.onClick;
    f.chart.on("click", (e) => click(e.dataIndex));
  }
  return f;
}

export function barOption(items: BarItem[], opts: { yName?: string; percent?: boolean }): EChartsOption {
  return {
    animation: false,
    grid: { left: 56, right: 16, top: 24, bottom: 48 },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: {
      type: "category",
      data: items.map((i) => i.name),
      // every name while they fit; beyond that ECharts thins them out
      axisLabel:
        items.length > 16 ? { interval: "auto" } : { interval: 0, rotate: items.length > 8 ? 35 : 0 },
    },
    yAxis: {
      type: "value",
      name: opts.yName,
      max: opts.percent ? 1 : undefined,
      axisLabel: opts.percent ? { formatter: (v: number) => `${Math.round(v * 100)}%` } : undefined,
    },
    series: [
      {
        type: "bar",
        data: items.map((i) => ({
          value: i.value,
          itemStyle: { color: i.color ?? "#4e79a7", opacity: i.dim ? 0.3 : 1 },
        })),
      },
    ],
  };
}

/** Bars coloured per cluster, named "cluster N" (0: noise). */
export function clusterItems(rows: { cluster: number; value: number }[], selected?: Set<number>): BarItem[] {
  return rows.map((r) => ({
    name: r.cluster === 0 ? "noise" : `cluster ${r.cluster}`,
    value: r.value,
    color: clusterColor(r.cluster),
    dim: selected && selected.size > 0 ? !selected.has(r.cluster) : false,
  }));
}
