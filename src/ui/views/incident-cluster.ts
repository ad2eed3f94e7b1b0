/** The clustering form: feature picker, DBSCAN or k-means with their parameters, double clustering. */
import { api } from "../api.ts";
import { errorBox, fmtNum, h, loading } from "../dom.ts";
import { setQuery } from "../router.ts";
import type { ClusterSummary } from "../types.ts";
import { type IncidentState, listParam } from "./incident.ts";

function numberInput(
  name: string,
  label: string,
  value: string,
  attrs: Record<string, string | number> = {},
) {
  return h(
    "label",
    { class: "inline" },
    label,
    h("input", { name, type: "number", value, inputmode: "decimal", ...attrs }),
  );
}

export function clusterForm(state: IncidentState): HTMLElement {
  const q = state.ctx.query;
  const chosen = new Set(listParam(q, "features"));
  if (chosen.size === 0) for (const f of state.features) if (f.auto) chosen.add(f.name);
  const method = q.get("method") === "kmeans" ? "kmeans" : "dbscan";
  const out = h("div", { class: "result", "aria-live": "polite" });

  const boxes = state.features.map((f) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", name: "feature", value: f.name, checked: chosen.has(f.name) }),
      f.label,
    ),
  );
  const setAll = (pick: (name: string, auto: boolean) => boolean) => () => {
    boxes.forEach((b, i) => {
      b.querySelector("input")!.checked = pick(state.features[i].name, state.features[i].auto);
    });
    saveForm();
  };

  const within = h(
    "select",
    { name: "within", id: "within" },
    h("option", { value: "" }, "all sessions (level 1)"),
  );
  const form = h(
    "form",
    { class: "cluster-form", "aria-labelledby": "cluster-title" },
    h("h2", { id: "cluster-title" }, "Clustering"),
    h(
      "fieldset",
      { class: "features" },
      h("legend", {}, "Features"),
      h(
        "div",
        { class: "row" },
        h(
          "button",
          { type: "button", class: "small", onclick: setAll((_, auto) => auto) },
          "Default features",
        ),
        h("button", { type: "button", class: "small", onclick: setAll(() => true) }, "All"),
        h("button", { type: "button", class: "small", onclick: setAll(() => false) }, "None"),
      ),
      h("div", { class: "grid" }, ...boxes),
    ),
    h(
      "fieldset",
      { class: "method" },
      h("legend", {}, "Method"),
      h(
        "label",
        { class: "inline" },
        h("input", { type: "radio", name: "method", value: "dbscan", checked: method === "dbscan" }),
        "DBSCAN",
      ),
      h(
        "label",
        { class: "inline" },
        h("input", { type: "radio", name: "method", value: "kmeans", checked: method === "kmeans" }),
        "k-means",
      ),
      numberInput("eps", "eps", q.get("eps") ?? "0.5", { step: "any", min: 0.001 }),
      numberInput("minSamples", "min samples", q.get("minSamples") ?? "10", { step: 1, min: 1 }),
      numberInput("k", "k (empty: by silhouette)", q.get("k") ?? "", {
        step: 1,
        min: 2,
        placeholder: "auto",
      }),
      h(
        "label",
        { class: "inline" },
        h("input", { type: "checkbox", name: "log", checked: q.get("log") !== "0" }),
        "log1p features",
      ),
      h("label", { class: "inline", for: "within" }, "Cluster within"),
      within,
    ),
    h("button", { type: "submit", id: "run-cluster" }, "Run clustering"),
    out,
  );

  const read = () => {
    const data = new FormData(form);
    return {
      features: data.getAll("feature").map(String),
      method: String(data.get("method")) as "dbscan" | "kmeans",
      eps: Number(data.get("eps")),
      minSamples: Number(data.get("minSamples")),
      k: String(data.get("k") ?? "").trim(),
      log: data.get("log") !== null,
      within: String(data.get("within") ?? ""),
    };
  };
  const saveForm = () => {
    const v = read();
    setQuery({
      features: v.features.join(","),
      method: v.method,
      eps: v.method === "dbscan" ? v.eps : null,
      minSamples: v.method === "dbscan" ? v.minSamples : null,
      k: v.method === "kmeans" ? v.k : null,
      log: v.log ? null : 0,
    });
  };
  form.addEventListener("change", saveForm);

  // the within choice lists level-1 clusters once they exist
  const fillWithin = () => {
    const current = within.value;
    within.replaceChildren(
      h("option", { value: "" }, "all sessions (level 1)"),
      ...(state.clusters?.clusters ?? []).map((c) =>
        h(
          "option",
          { value: c.cluster, selected: String(c.cluster) === current },
          `cluster ${c.cluster} (level 2)`,
        ),
      ),
    );
  };
  fillWithin();
  state.onClusters.push(fillWithin);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = read();
    if (v.features.length === 0) {
      out.replaceChildren(errorBox("Pick at least one feature."));
      return;
    }
    saveForm();
    const body: Record<string, unknown> = { method: v.method, features: v.features, log: v.log };
    if (v.method === "dbscan") Object.assign(body, { eps: v.eps, minSamples: v.minSamples });
    else body.k = v.k === "" ? "auto" : Number(v.k);
    if (v.within !== "") body.within = Number(v.within);
    out.replaceChildren(loading("clusters"));
    const button = form.querySelector<HTMLButtonElement>("#run-cluster")!;
    button.disabled = true;
    try {
      const r = await api.post<ClusterSummary>(`incidents/${state.id}/cluster`, body, state.ctx.signal);
      const real = r.clusters.filter((c) => c.cluster !== 0).length;
      const noise = r.clusters.find((c) => c.cluster === 0)?.sessions ?? 0;
      out.replaceChildren(
        h(
          "p",
          { role: "status", id: "cluster-result" },
          `${r.algo}: ${real} clusters over ${fmtNum(r.sessions)} sessions` +
            (r.algo === "dbscan" ? `, ${fmtNum(noise)} noise` : "") +
            (r.chosenK ? ` (k = ${r.chosenK.k} by silhouette ${r.chosenK.silhouette.toFixed(2)})` : "") +
            (r.level === 2 ? `, inside cluster ${r.within} (level 2)` : ""),
        ),
      );
      if (r.level === 1) state.selected.clear();
      state.selected2.clear();
      await state.refresh();
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
