import type { Store } from "./open.ts";

const CHUNK = 500;

/**
 * Writes cluster labels for sessions in one transaction. Level 1 is cluster_index (the first clustering
 * of an incident, cleared for all its sessions first); level 2 is cluster_index2 (Bothound's double
 * clustering inside one level-1 cluster).
 */
export async function storeClusters(
  store: Store,
  incidentId: number,
  level: 1 | 2,
  labels: { sessionId: number; cluster: number | null }[],
): Promise<void> {
  const column = level === 1 ? "cluster_index" : "cluster_index2";
  await store.db.transaction().execute(async (trx) => {
    const clear = level === 1 ? { cluster_index: null, cluster_index2: null } : { cluster_index2: null };
    await trx.updateTable("sessions").set(clear).where("incident_id", "=", incidentId).execute();
    // group by label: one UPDATE per cluster and chunk instead of one per session
    const byCluster = new Map<number, number[]>();
    for (const l of labels) {
      if (l.cluster === null) continue;
      const ids = byCluster.get(l.cluster) ?? [];
      ids.push(l.sessionId);
      byCluster.set(l.cluster, ids);
    }
    for (const [cluster, ids] of byCluster) {
      for (let i = 0; i < ids.length; i += CHUNK) {
        await trx
          .updateTable("sessions")
          .set({ [column]: cluster })
          .where("incident_id", "=", incidentId)
          .where("id", "in", ids.slice(i, i + CHUNK))
          .execute();
      }
    }
  });
}
