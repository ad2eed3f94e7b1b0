import type { ViewContext } from "../router.ts";
import { clusterColor, type Figure, figure } from "./core.ts";

export interface BoxRow {
  cluster: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** Box plot of one feature per cluster (Bothound's per-cluster feature plots), one colour per cluster. */
export function boxChart(
  ctx: ViewContext,
  opts: { label: string; caption?: string; table?: HTMLElement; rows: BoxRow[]; log?: boolean },
): Figure {
  const f = figure(ctx, opts);
  f.chart.setOption({
    animation: false,
    grid: { left: 64, right: 16, top: 24, bottom: 40 },
    tooltip: { trigger: "item" },
    xAxis: {
      type: "category",
      data: opts.rows.map((r) => (r.cluster === 0 ? "noise" : `cluster ${r.cluster}`)),
    },
    yAxis: { type: opts.log ? "log" : "value", scale: true },
    series: [
      {
        type: "boxplot",
        data: opts.rows.map((r) => ({
          value: opts.log
            ? [r.min, r.q1, r.median, r.q3, r.max].map((v) => Math.max(v, 1e-6))
            : [r.min, r.q1, r.median, r.q3, r.max],
          itemStyle: { color: `${clusterColor(r.cluster)}55`, borderColor: clusterColor(r.cluster) },
        })),
      },
    ],
  });
  return f;
}
