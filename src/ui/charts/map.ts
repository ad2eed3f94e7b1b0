/**
 * World map of sessions per country from the bundled world-atlas (110m), with each country named by
 * its ISO alpha-2 code so our data (alpha-2 from the geo lookup) joins it directly.
 */
import { feature } from "topojson-client";
import type { Topology } from "topojson-specification";
import type { ViewContext } from "../router.ts";
import { echarts, type Figure, figure } from "./core.ts";
import { ATLAS_TO_ALPHA2 } from "./country-codes.ts";

let registered: Promise<void> | null = null;
const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

export function countryName(code: string): string {
  try {
    return /^[A-Z]{2}$/.test(code) ? (regionNames.of(code) ?? code) : code;
  } catch {
    return code;
  }
}

function registerWorld(): Promise<void> {
  registered ??= (async () => {
    const atlas = (await import("world-atlas/countries-110m.json")).default as unknown as Topology;
    const geo = feature(atlas, atlas.objects.countries) as unknown as GeoJSON.FeatureCollection;
    for (const f of geo.features) {
      const atlasName = (f.properties as { name: string }).name;
      const code = ATLAS_TO_ALPHA2[String(f.id ?? atlasName)];
      f.properties = { name: code ?? atlasName };
    }
    echarts.registerMap("world", geo as unknown as Parameters<typeof echarts.registerMap>[1]);
  })();
  return registered;
}

export async function worldMap(
  ctx: ViewContext,
  opts: {
    label: string;
    caption?: string;
    table?: HTMLElement;
    rows: { country: string; sessions: number }[];
  },
): Promise<Figure> {
  await registerWorld();
  const f = figure(ctx, { ...opts, height: 360 });
  const max = opts.rows.reduce((m, r) => Math.max(m, r.sessions), 1);
  f.chart.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p: { name: string; value: number }) =>
        `${countryName(p.name)}: ${Number.isFinite(p.value) ? p.value.toLocaleString("en-US") : 0} sessions`,
    },
    visualMap: {
      min: 0,
      max,
      left: 8,
      bottom: 8,
      calculable: false,
      inRange: { color: ["#e8eef6", "#08306b"] },
    },
    series: [
      {
        type: "map",
        map: "world",
        roam: true,
        emphasis: { label: { show: false } },
        data: opts.rows.map((r) => ({ name: r.country, value: r.sessions })),
      },
    ],
  });
  return f;
}
