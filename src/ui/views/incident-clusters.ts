/**
 * The clusters of an incident: size and banned-share charts, a table to pick clusters (click a bar or
 * tick a box), the automatic proposal with its reasons, and label_attack: the picked clusters become
 * attack N, after which the botnet match for that attack is shown.
 */
import { api } from "../api.ts";
import { barChart, barOption, clusterItems } from "../charts/bar.ts";
import { clusterColor, replaceCharts } from "../charts/core.ts";
import { errorBox, fmtNum, fmtPct, fmtTime, h, loading, section, table } from "../dom.ts";
import type { AttackReport, ClusterAggregate, Clusters, LabelResult, Proposal } from "../types.ts";
import { matchPanel } from "./attack-match.ts";
import { type IncidentState, saveSelection } from "./incident.ts";

export function clusterName(c: number): string {
  return c === 0 ? "noise" : `cluster ${c}`;
}

function swatch(c: number): HTMLElement {
  return h("span", { class: "swatch", style: `background:${clusterColor(c)}`, "aria-hidden": "true" });
}

function clusterTable(
  state: IncidentState,
  level: 1 | 2,
  rows: ClusterAggregate[],
  onToggle: () => void,
): HTMLElement {
  const selected = level === 1 ? state.selected : state.selected2;
  const label = (c: number) =>
    level === 1 ? `Select ${clusterName(c)}` : `Select level-2 ${clusterName(c)}`;
  return table(
    level === 1 ? "Clusters (level 1)" : "Clusters inside a cluster (level 2)",
    [
      {
        label: "Pick",
        value: (r) =>
          h("input", {
            type: "checkbox",
            "aria-label": label(r.cluster),
            checked: selected.has(r.cluster),
            "data-cluster": r.cluster,
            onchange: (e: Event) => {
              if ((e.target as HTMLInputElement).checked) selected.add(r.cluster);
              else selected.delete(r.cluster);
              onToggle();
            },
          }),
      },
      { label: "Cluster", value: (r) => h("span", {}, swatch(r.cluster), clusterName(r.cluster)) },
      ...(level === 2
        ? [
            {
              label: "In",
              value: (r: ClusterAggregate) => (r.parent === undefined ? "–" : clusterName(r.parent)),
            },
          ]
        : []),
      { label: "Sessions", value: (r) => fmtNum(r.sessions), numeric: true },
      { label: "IPs", value: (r) => fmtNum(r.ips), numeric: true },
      { label: "Banned", value: (r) => fmtPct(r.bannedShare), numeric: true },
      {
        label: "Top countries",
        value: (r) =>
          r.countries
            .slice(0, 3)
            .map((c) => `${c.country} ${fmtNum(c.sessions)}`)
            .join(", "),
      },
      { label: "IPs seen in other incidents", value: (r) => fmtPct(r.seenInOtherIncident), numeric: true },
      { label: "IPs seen in other attacks", value: (r) => fmtPct(r.seenInOtherAttack), numeric: true },
      {
        label: "Labelled",
        value: (r) =>
          Object.entries(r.attacks)
            .map(([n, s]) => `attack ${n}: ${fmtNum(s)}`)
            .join(", ") || "–",
      },
    ],
    rows,
  );
}

function proposalBox(state: IncidentState, onUse: (clusters: number[]) => void): HTMLElement {
  const box = h("div", { class: "proposal" }, loading("the automatic proposal"));
  // the proposal scores every session (seconds on 100k sessions): ask once the other panels have their data
  api
    .idle()
    .then(() => api.get<Proposal>(`incidents/${state.id}/proposal`, {}, state.ctx.signal))
    .then((p) => {
      const attackClusters = [...new Set(p.attacks.flatMap((a) => a.clusters))].sort((a, b) => a - b);
      replaceCharts(
        box,
        h(
          "p",
          {},
          p.attacks.length
            ? `The automatic proposal sees ${p.attacks.length} attack(s) in ${attackClusters.map(clusterName).join(", ")}.`
            : "The automatic proposal sees no attack cluster.",
        ),
        p.attacks.length
          ? h(
              "button",
              { type: "button", id: "use-proposal", onclick: () => onUse(attackClusters) },
              "Pick the proposed clusters",
            )
          : null,
        table(
          "Proposed attacks",
          [
            { label: "Attack", value: (a) => String(a.number), numeric: true },
            { label: "Clusters", value: (a) => a.clusters.map(clusterName).join(", ") },
            { label: "Sessions", value: (a) => fmtNum(a.sessions), numeric: true },
            { label: "From", value: (a) => fmtTime(a.start) },
            { label: "To", value: (a) => fmtTime(a.end) },
            { label: "Confidence", value: (a) => fmtPct(a.confidence, 0), numeric: true },
            { label: "Why", value: (a) => a.reasons.join("; ") },
          ],
          p.attacks,
        ),
        h(
          "details",
          {},
          h("summary", {}, "Evidence per cluster"),
          table(
            "Evidence per cluster",
            [
              { label: "Cluster", value: (e) => clusterName(e.cluster) },
              { label: "Sessions", value: (e) => fmtNum(e.sessions), numeric: true },
              { label: "Score", value: (e) => fmtNum(e.score), numeric: true },
              { label: "Verdict", value: (e) => e.verdict },
              {
                label: "Indicators",
                value: (e) =>
                  Object.entries(e.indicators ?? {})
                    .map(([k, v]) => `${k} ${fmtNum(v)}`)
                    .join(", "),
              },
              { label: "Reasons", value: (e) => e.reasons.join("; ") },
            ],
            p.evidence,
          ),
        ),
      );
    })
    .catch((err) => box.replaceChildren(errorBox(err)));
  return box;
}

function labelForm(state: IncidentState, result: HTMLElement, onSaved: () => Promise<void>): HTMLElement {
  const number = h("input", {
    id: "attack-number",
    name: "number",
    type: "number",
    min: 1,
    step: 1,
    value: 1,
  });
  const comment = h("input", { id: "attack-comment", name: "comment", autocomplete: "off" });
  const save = h("button", { type: "submit", id: "save-attack" }, "Save as attack 1");
  const picked = h("p", { id: "picked", "aria-live": "polite" });
  const update = () => {
    const n = number.value || "?";
    save.textContent = `Save as attack ${n}`;
    const total = state.selected.size + state.selected2.size;
    save.disabled = total === 0;
    const names = [...state.selected].sort((a, b) => a - b).map(clusterName);
    const names2 = [...state.selected2].sort((a, b) => a - b).map((c) => `level-2 ${clusterName(c)}`);
    picked.textContent = total
      ? `Picked: ${[...names, ...names2].join(", ")}`
      : "Pick clusters in the table or chart.";
  };
  number.addEventListener("input", update);
  // next free attack number of this incident
  api
    .get<AttackReport[]>("attacks", { incident: state.id }, state.ctx.signal)
    .then((attacks) => {
      number.value = String(attacks.reduce((m, a) => Math.max(m, a.number), 0) + 1);
      update();
    })
    .catch(() => {});
  const form = h(
    "form",
    { class: "label-form", "aria-labelledby": "label-title" },
    h("h3", { id: "label-title" }, "Label an attack"),
    picked,
    h("label", { class: "inline", for: "attack-number" }, "Attack number"),
    number,
    h("label", { class: "inline", for: "attack-comment" }, "Comment"),
    comment,
    save,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const n = Number(number.value);
    result.replaceChildren(loading("the attack label"));
    try {
      const r = await api.post<LabelResult>(
        `incidents/${state.id}/attacks`,
        {
          clusters: [...state.selected],
          ...(state.selected2.size ? { clusters2: [...state.selected2] } : {}),
          ...(comment.value.trim() ? { comment: comment.value.trim() } : {}),
          ...(Number.isInteger(n) && n > 0 ? { number: n } : {}),
        },
        state.ctx.signal,
      );
      const match = h("div", {});
      result.replaceChildren(
        h(
          "p",
          { role: "status", id: "attack-saved" },
          `Attack ${r.attack.number} saved: ${fmtNum(r.sessions)} sessions.`,
        ),
        match,
      );
      await Promise.all([matchPanel(state.ctx, match, state.id, r.attack.number), onSaved()]);
      number.value = String(r.attack.number + 1);
      update();
    } catch (err) {
      result.replaceChildren(errorBox(err));
    }
  });
  (form as HTMLFormElement & { update: () => void }).update = update;
  update();
  return form;
}

export async function clustersPanel(state: IncidentState, box: HTMLElement): Promise<void> {
  if (!state.clusters) {
    const apply = h("button", { type: "button", id: "apply-proposal" }, "Cluster and label automatically");
    const out = h("div", { "aria-live": "polite" });
    apply.addEventListener("click", async () => {
      out.replaceChildren(loading("the automatic proposal"));
      try {
        await api.post<Proposal>(`incidents/${state.id}/proposal`, {}, state.ctx.signal);
        await state.refresh();
      } catch (err) {
        out.replaceChildren(errorBox(err));
      }
    });
    replaceCharts(
      box,
      section(
        "Clusters",
        h("p", {}, "Not clustered yet: run the clustering above, or let botscope propose attacks."),
        apply,
        out,
      ),
    );
    return;
  }
  const rows = state.clusters.clusters;
  const result = h("div", { id: "attack-result", "aria-live": "polite" });
  const form = labelForm(state, result, async () => {
    // the tables' "Labelled" column and the incident's attack count change with a new label
    const [c1, c2] = await Promise.all([
      api.get<Clusters>(`incidents/${state.id}/clusters`, { level: 1 }, state.ctx.signal),
      api.get<Clusters>(`incidents/${state.id}/clusters`, { level: 2 }, state.ctx.signal),
    ]);
    state.clusters = c1;
    state.clusters2 = c2.clustered && c2.clusters.length ? c2 : null;
    renderTables();
    await state.reloadIncident();
  }) as HTMLFormElement & { update: () => void };
  const sizes = barChart(state.ctx, {
    label: `Sessions per cluster: ${rows.map((r) => `${clusterName(r.cluster)} ${r.sessions}`).join(", ")}`,
    caption: "Sessions per cluster. Click a bar to pick or unpick the cluster.",
    items: clusterItems(
      rows.map((r) => ({ cluster: r.cluster, value: r.sessions })),
      state.selected,
    ),
    yName: "sessions",
    onClick: (i) => {
      const c = rows[i].cluster;
      if (state.selected.has(c)) state.selected.delete(c);
      else state.selected.add(c);
      changed();
    },
  });
  sizes.figure.id = "cluster-sizes";
  const banned = barChart(state.ctx, {
    label: `Banned share per cluster: ${rows.map((r) => `${clusterName(r.cluster)} ${fmtPct(r.bannedShare)}`).join(", ")}`,
    caption: "Share of each cluster's sessions that were banned.",
    items: clusterItems(rows.map((r) => ({ cluster: r.cluster, value: r.bannedShare }))),
    percent: true,
    height: 220,
  });
  const tableBox = h("div", {});
  const changed = () => {
    saveSelection(state);
    sizes.chart.setOption(
      barOption(
        clusterItems(
          rows.map((r) => ({ cluster: r.cluster, value: r.sessions })),
          state.selected,
        ),
        { yName: "sessions" },
      ),
    );
    for (const input of tableBox.querySelectorAll<HTMLInputElement>("input[data-cluster]")) {
      const level2 = input.closest("table")?.dataset.level === "2";
      input.checked = (level2 ? state.selected2 : state.selected).has(Number(input.dataset.cluster));
    }
    form.update();
  };
  const renderTables = () => {
    const t1 = clusterTable(state, 1, state.clusters?.clusters ?? rows, changed);
    t1.dataset.level = "1";
    tableBox.replaceChildren(t1);
    if (state.clusters2) {
      const t2 = clusterTable(state, 2, state.clusters2.clusters, changed);
      t2.dataset.level = "2";
      tableBox.append(t2);
    }
  };
  renderTables();
  replaceCharts(
    box,
    section(
      "Clusters",
      h("div", { class: "two" }, sizes.figure, banned.figure),
      tableBox,
      proposalBox(state, (clusters) => {
        state.selected = new Set(clusters);
        changed();
      }),
      form,
      result,
    ),
  );
}
