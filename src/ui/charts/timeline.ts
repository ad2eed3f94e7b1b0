import type { ViewContext } from "../router.ts";
import { type Figure, figure } from "./core.ts";

export interface Band {
  from: number;
  to: number;
  label: string;
  color?: string;
}

export interface TimelineOptions {
  label: string;
  caption?: string;
  table?: HTMLElement;
  height?: number;
  series: {
    name: string;
    points: [number, number][];
    axis?: 0 | 1;
    type?: "line" | "bar";
    color?: string;
    step?: boolean;
  }[];
  yNames?: [string, string?];
  threshold?: { value: number; axis?: 0 | 1; label: string };
  bands?: Band[];
  yMax?: [number?, number?];
}

/**
 * Time series (epoch seconds) with optional second series, a horizontal threshold and shaded bands
 * (opened incidents, red windows). Zoomable with the slider and the keyboard-friendly inside zoom.
 */
export function timelineChart(ctx: ViewContext, opts: TimelineOptions): Figure {
  const f = figure(ctx, opts);
  f.chart.setOption(timelineOption(opts));
  return f;
}

/** The chart's option alone: a live view sets it again with new points. */
export function timelineOption(opts: TimelineOptions) {
  const two = opts.series.some((s) => s.axis === 1);
  const yAxis = [
    { type: "value", name: opts.yNames?.[0], max: opts.yMax?.[0] },
    ...(two
      ? [{ type: "value", name: opts.yNames?.[1], max: opts.yMax?.[1], splitLine: { show: false } }]
      : []),
  ];
  return {
    animation: false,
    grid: { left: 56, right: two ? 56 : 16, top: 32, bottom: 64 },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
    xAxis: { type: "time" },
    yAxis,
    series: opts.series.map((s, i) => ({
      name: s.name,
      type: s.type ?? "line",
      yAxisIndex: s.axis ?? 0,
      step: s.step ? "end" : undefined,
      showSymbol: false,
      itemStyle: s.color ? { color: s.color } : undefined,
      lineStyle: { color: s.color, width: 1.5 },
      data: s.points.map(([t, v]) => [t * 1000, v]),
      markLine: opts.threshold && i === thresholdSeries(opts) ? thresholdLine(opts.threshold) : undefined,
      markArea: opts.bands?.length && i === 0 ? bandsArea(opts.bands) : undefined,
    })),
  };
}

function thresholdSeries(opts: { series: { axis?: 0 | 1 }[]; threshold?: { axis?: 0 | 1 } }): number {
  return opts.series.findIndex((s) => (s.axis ?? 0) === (opts.threshold?.axis ?? 0));
}

function thresholdLine(t: { value: number; label: string }) {
  return {
    silent: true,
    symbol: "none",
    lineStyle: { color: "#c0392b", type: "dashed" },
    label: { formatter: t.label, position: "insideEndTop" },
    data: [{ yAxis: t.value }],
  };
}

function bandsArea(bands: Band[]) {
  return {
    silent: false,
    itemStyle: { color: "rgba(225, 87, 89, 0.15)" },
    label: { position: "insideTop", fontSize: 11, color: "#7a1f1c" },
    data: bands.map((b) => [
      { xAxis: b.from * 1000, name: b.label, itemStyle: b.color ? { color: b.color } : undefined },
      { xAxis: b.to * 1000 },
    ]),
  };
}
