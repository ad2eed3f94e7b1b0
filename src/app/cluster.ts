import { type ClusterOptions, clusterSessions } from "../botnets/cluster.ts";
import { NotFoundError, UserError } from "../core/errors.ts";
import { storeClusters } from "../store/clusters.ts";
import { getIncident } from "../store/incidents.ts";
import type { Store } from "../store/open.ts";
import type { Session, SessionFeature } from "../store/schema.ts";
import { sessionsOfIncident } from "../store/sessions.ts";

export interface ClusterSummary {
  incidentId: number;
  level: 1 | 2;
  within: number | null;
  algo: string;
  sessions: number;
  chosenK?: { k: number; silhouette: number };
  clusters: { cluster: number; sessions: number; means: Partial<Record<SessionFeature, number>> }[];
}

/**
 * Clusters an incident's sessions and stores the labels (cluster_index; with `within`, Bothound's double
 * clustering: cluster_index2 for the sessions of one first-level cluster). Returns sizes and per-cluster
 * feature means.
 */
export async function clusterIncident(
  store: Store,
  incidentId: number,
  opts: ClusterOptions & { within?: number },
): Promise<ClusterSummary> {
  if (!(await getIncident(store, incidentId))) throw new NotFoundError(`no incident ${incidentId}`);
  let sessions: Session[] = await sessionsOfIncident(store, incidentId);
  if (opts.within !== undefined) {
    sessions = sessions.filter((s) => s.cluster_index === opts.within);
    if (sessions.length === 0)
      throw new NotFoundError(`incident ${incidentId} has no session in cluster ${opts.within}`);
  }
  if (sessions.length === 0) throw new UserError(`incident ${incidentId} has no sessions`);
  const result = clusterSessions(sessions, opts);
  const level = opts.within === undefined ? 1 : 2;
  await storeClusters(
    store,
    incidentId,
    level,
    sessions.map((s, i) => ({ sessionId: s.id, cluster: result.labels[i] })),
  );
  const groups = new Map<number, Session[]>();
  sessions.forEach((s, i) => {
    const list = groups.get(result.labels[i]) ?? [];
    list.push(s);
    groups.set(result.labels[i], list);
  });
  return {
    incidentId,
    level,
    within: opts.within ?? null,
    algo: opts.algo,
    sessions: sessions.length,
    chosenK: result.chosenK,
    clusters: [...groups]
      .sort((a, b) => a[0] - b[0])
      .map(([cluster, list]) => ({
        cluster,
        sessions: list.length,
        means: Object.fromEntries(
          opts.features.map((f) => {
            const values = list.map((s) => s[f]).filter((v): v is number => v != null);
            return [f, values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN];
          }),
        ),
      })),
  };
}
