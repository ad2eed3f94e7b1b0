/**
 * One incident: feature picker and clustering (DBSCAN / k-means / double clustering), the clusters with
 * sizes, banned share and the automatic proposal, labelling attacks by selecting clusters, then the
 * scatter, box plots, countries and overlap. All choices live in the URL query, so a link reproduces the view.
 */
import { api } from "../api.ts";
import { errorBox, fmtNum, fmtTime, h, loading } from "../dom.ts";
import { href, setQuery, type ViewContext } from "../router.ts";
import type { Clusters, Feature, Incident } from "../types.ts";
import { clusterForm } from "./incident-cluster.ts";
import { clustersPanel } from "./incident-clusters.ts";
import { explorePanel } from "./incident-explore.ts";
import { jobStatus } from "./incidents.ts";

/** What the incident's panels share: the incident, its features, the clusters and the selection. */
export interface IncidentState {
  ctx: ViewContext;
  id: number;
  incident: Incident;
  features: Feature[];
  clusters: Clusters | null;
  clusters2: Clusters | null;
  /** Level-1 and level-2 clusters picked for the next attack label. */
  selected: Set<number>;
  selected2: Set<number>;
  /** Reloads clusters and redraws the cluster-dependent panels. */
  refresh(): Promise<void>;
  /** Called after each reload of the clusters (the form's "cluster within" choices). */
  onClusters: (() => void)[];
  /** Reloads the incident's facts (attack count) at the top. */
  reloadIncident(): Promise<void>;
}

export function listParam(q: URLSearchParams, name: string): string[] {
  return (q.get(name) ?? "").split(",").filter(Boolean);
}

export function numberList(q: URLSearchParams, name: string): Set<number> {
  return new Set(listParam(q, name).map(Number).filter(Number.isInteger));
}

export function saveSelection(state: IncidentState): void {
  setQuery({
    sel: [...state.selected].sort((a, b) => a - b).join(","),
    sel2: [...state.selected2].sort((a, b) => a - b).join(","),
  });
}

export async function incidentView(ctx: ViewContext): Promise<void> {
  const id = Number(ctx.params.id);
  if (!Number.isInteger(id)) throw new Error(`not an incident id: ${ctx.params.id}`);
  const title = h("h1", { tabindex: -1 }, `Incident #${id}`);
  const summary = h("div", { class: "summary" }, loading("the incident"));
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: href("/incidents") }, "Incidents"), " / ", `#${id}`),
    title,
    summary,
  );

  let incident = await api.get<Incident>(`incidents/${id}`, {}, ctx.signal);
  title.textContent = `Incident #${id}: ${incident.target}`;
  const renderSummary = () =>
    summary.replaceChildren(
      h(
        "dl",
        { class: "facts" },
        ...[
          ["Time range", `${fmtTime(incident.start)} – ${fmtTime(incident.stop)}`],
          ["Sessions", fmtNum(incident.sessions)],
          ["Attacks", fmtNum(incident.attacks)],
          ["Origin", incident.origin],
          ["Source", incident.source ?? "–"],
        ].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
        h("dt", {}, "Status"),
        h("dd", {}, jobStatus(incident)),
      ),
      h(
        "p",
        {},
        h("a", { href: href("/attacks", { incident: id }) }, "Attacks of this incident"),
        " · ",
        h("a", { href: href("/anomaly", { target: incident.target }) }, "Anomaly timeline of the target"),
      ),
    );
  renderSummary();

  // a log still being read: wait for it, showing progress
  while (incident.job?.state === "processing") {
    await new Promise((r) => setTimeout(r, 1000));
    if (ctx.signal.aborted) return;
    incident = await api.get<Incident>(`incidents/${id}`, {}, ctx.signal);
    renderSummary();
  }
  if (incident.sessions === 0) {
    ctx.root.append(h("p", {}, "This incident has no sessions yet."));
    return;
  }

  const features = await api.get<Feature[]>(`incidents/${id}/features`, {}, ctx.signal);
  const clustersBox = h("div", { id: "clusters-panel" });
  const exploreBox = h("div", { id: "explore-panel" });
  const state: IncidentState = {
    ctx,
    id,
    incident,
    features,
    clusters: null,
    clusters2: null,
    selected: numberList(ctx.query, "sel"),
    selected2: numberList(ctx.query, "sel2"),
    onClusters: [],
    reloadIncident: async () => {
      incident = await api.get<Incident>(`incidents/${id}`, {}, ctx.signal);
      state.incident = incident;
      renderSummary();
    },
    refresh: async () => {
      const [c1, c2] = await Promise.all([
        api.get<Clusters>(`incidents/${id}/clusters`, { level: 1 }, ctx.signal),
        api.get<Clusters>(`incidents/${id}/clusters`, { level: 2 }, ctx.signal),
      ]);
      state.clusters = c1.clustered ? c1 : null;
      state.clusters2 = c2.clustered && c2.clusters.length ? c2 : null;
      const known = new Set(c1.clusters.map((c) => c.cluster));
      for (const c of state.selected) if (!known.has(c)) state.selected.delete(c);
      const known2 = new Set(c2.clusters.map((c) => c.cluster));
      for (const c of state.selected2) if (!known2.has(c)) state.selected2.delete(c);
      saveSelection(state);
      for (const fn of state.onClusters) fn();
      await Promise.all([clustersPanel(state, clustersBox), explorePanel(state, exploreBox)]);
    },
  };
  ctx.root.append(clusterForm(state), clustersBox, exploreBox);
  try {
    await state.refresh();
  } catch (err) {
    clustersBox.replaceChildren(errorBox(err));
  }
}
