/** The watcher's stored series and events as the dashboard draws them. */
import { NotFoundError } from "../core/errors.ts";
import { listAnomalyEvents } from "../store/anomaly-events.ts";
import { anomalySeries, listAnomalyTargets } from "../store/anomaly-points.ts";
import type { Store } from "../store/open.ts";

export { listAnomalyTargets as anomalyTargets };

/**
 * A target's series of one signal in [from, to) as [t, value, score] points. Longer than `maxPoints`, it
 * is reduced to buckets of whole intervals, each keeping its highest-scoring point (with that point's
 * value), so an anomaly never disappears when zoomed out.
 */
export async function anomalySeriesView(
  store: Store,
  o: { target: string; signal: string; from?: number; to?: number; maxPoints: number; threshold: number },
) {
  const rows = await anomalySeries(store, o.target, o.signal, o);
  if (
    rows.length === 0 &&
    !(await listAnomalyTargets(store)).some((t) => t.target === o.target.toLowerCase())
  )
    throw new NotFoundError(`no anomaly series for target ${o.target}`);
  const interval = rows.length ? rows[0].interval : null;
  const threshold = rows.find((r) => r.threshold !== null)?.threshold ?? o.threshold;
  let points: [number, number, number][] = rows.map((r) => [r.at, r.value, r.score]);
  if (points.length > o.maxPoints) {
    const per = Math.ceil(points.length / o.maxPoints);
    const reduced: [number, number, number][] = [];
    for (let i = 0; i < points.length; i += per) {
      let best = points[i];
      for (let j = i + 1; j < Math.min(points.length, i + per); j++)
        if (points[j][2] > best[2]) best = points[j];
      reduced.push([points[i][0], best[1], best[2]]);
    }
    points = reduced;
  }
  return {
    target: o.target.toLowerCase(),
    signal: o.signal,
    threshold,
    interval,
    total: rows.length,
    points,
  };
}

export async function anomalyEvents(store: Store, o: { target?: string; from?: number; to?: number }) {
  return (await listAnomalyEvents(store, { target: o.target }))
    .filter((e) => (o.from === undefined || e.at >= o.from) && (o.to === undefined || e.at < o.to))
    .map((e) => ({
      id: e.id,
      target: e.target,
      kind: e.kind,
      channel: e.channel,
      signal: e.signal,
      score: e.score,
      at: e.at,
      incidentId: e.incident_id,
    }));
}
