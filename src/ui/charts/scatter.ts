/**
 * Scatter of sessions in three features (or the first three principal components), one colour per
 * cluster. 3-D through echarts-gl, loaded only when the browser has WebGL; otherwise (headless browsers,
 * old GPUs) a 2-D scatter of the first two axes with the third as the point size.
 */
import type { ViewContext } from "../router.ts";
import { clusterColor, type echarts, type Figure, figure } from "./core.ts";

export interface ScatterData {
  axes: [string, string, string];
  /** [x, y, z, cluster] per sampled session. */
  points: [number, number, number, number][];
}

let gl: Promise<boolean> | null = null;

/** True when WebGL works here and echarts-gl is registered. */
export function webglAvailable(): Promise<boolean> {
  gl ??= (async () => {
    try {
      const canvas = document.createElement("canvas");
      if (!(canvas.getContext("webgl2") ?? canvas.getContext("webgl"))) return false;
      await Promise.all([
        import("echarts-gl/lib/chart/scatter3D.js"),
        import("echarts-gl/lib/component/grid3D.js"),
      ]);
      return true;
    } catch {
      return false;
    }
  })();
  return gl;
}

function byCluster(points: ScatterData["points"]): Map<number, ScatterData["points"]> {
  const groups = new Map<number, ScatterData["points"]>();
  for (const p of points) {
    const list = groups.get(p[3]) ?? [];
    list.push(p);
    groups.set(p[3], list);
  }
  return new Map([...groups].sort((a, b) => a[0] - b[0]));
}

function name(c: number): string {
  return c === 0 ? "noise" : `cluster ${c}`;
}

export async function scatterChart(
  ctx: ViewContext,
  opts: { label: string; caption?: string; data: ScatterData; force2d?: boolean },
): Promise<Figure & { mode: "3d" | "2d" }> {
  const threeD = !opts.force2d && (await webglAvailable());
  const f = figure(ctx, { label: opts.label, caption: opts.caption, height: 420 });
  f.figure.dataset.mode = threeD ? "3d" : "2d";
  const groups = byCluster(opts.data.points);
  const [x, y, z] = opts.data.axes;
  if (threeD) {
    f.chart.setOption({
      tooltip: {},
      legend: { top: 0, type: "scroll" },
      grid3D: { viewControl: { projection: "orthographic" } },
      xAxis3D: { name: x, type: "value" },
      yAxis3D: { name: y, type: "value" },
      zAxis3D: { name: z, type: "value" },
      series: [...groups].map(([c, pts]) => ({
        type: "scatter3D",
        name: name(c),
        symbolSize: 4,
        itemStyle: { color: clusterColor(c) },
        data: pts.map((p) => [p[0], p[1], p[2]]),
      })),
    } as echarts.EChartsCoreOption);
  } else {
    const zs = opts.data.points.map((p) => p[2]).filter(Number.isFinite);
    const zMin = zs.length ? Math.min(...zs) : 0;
    const zMax = zs.length ? Math.max(...zs) : 1;
    const size = (v: number) =>
      zMax > zMin && Number.isFinite(v) ? 3 + (9 * (v - zMin)) / (zMax - zMin) : 5;
    f.chart.setOption({
      animation: false,
      tooltip: { trigger: "item" },
      legend: { top: 0, type: "scroll" },
      grid: { left: 64, right: 16, top: 40, bottom: 48 },
      xAxis: { name: x, nameLocation: "middle", nameGap: 28, type: "value", scale: true },
      yAxis: { name: y, type: "value", scale: true },
      series: [...groups].map(([c, pts]) => ({
        type: "scatter",
        name: name(c),
        large: pts.length > 2000,
        symbolSize: (v: number[]) => size(v[2]),
        itemStyle: { color: clusterColor(c), opacity: 0.7 },
        data: pts.map((p) => [p[0], p[1], p[2]]),
      })),
    });
  }
  return { ...f, mode: threeD ? "3d" : "2d" };
}
