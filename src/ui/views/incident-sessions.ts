/**
 * The incident's sessions a page at a time (sorted and filtered on the server, so 100k sessions cost one
 * page), by cluster or attack; IPs appear only when the server reveals them.
 */
import { api } from "../api.ts";
import { countryName } from "../charts/map.ts";
import { errorBox, fmtDuration, fmtNum, fmtTime, h, loading, section, shortHash, table } from "../dom.ts";
import { setQuery } from "../router.ts";
import type { Paged, SessionRow } from "../types.ts";
import type { IncidentState } from "./incident.ts";
import { clusterName } from "./incident-clusters.ts";

const PAGE = 50;
/** Columns the server sorts by: header -> sort key. */
const SORTABLE: Record<string, string> = {
  Start: "start_time",
  Requests: "requests",
  Length: "session_length",
  "Interval (s)": "request_interval",
  Cluster: "cluster",
  Attack: "attack",
};

export function sessionsSection(state: IncidentState): HTMLElement {
  const q = state.ctx.query;
  let page = Math.max(0, Number(q.get("sp") ?? 0) || 0);
  let sort = q.get("ssort") ?? "-requests";
  let cluster = q.get("scluster") ?? "";
  const out = h("div", {}, loading("sessions"));

  const draw = async () => {
    const p = await api.get<Paged<SessionRow>>(
      `incidents/${state.id}/sessions`,
      { limit: PAGE, offset: page * PAGE, sort, cluster },
      state.ctx.signal,
    );
    const header = (key: string, label: string) => {
      const active = sort.replace(/^-/, "") === key;
      const desc = active && sort.startsWith("-");
      return h(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": `Sort by ${label}${active ? (desc ? ", now descending" : ", now ascending") : ""}`,
          onclick: () => {
            sort = active && desc ? key : `-${key}`;
            page = 0;
            setQuery({ ssort: sort, sp: null });
            redraw();
          },
        },
        `${label}${active ? (desc ? " ▼" : " ▲") : ""}`,
      );
    };
    const pages = Math.max(1, Math.ceil(p.total / PAGE));
    const nav = (to: number, label: string) =>
      h(
        "button",
        {
          type: "button",
          class: "small",
          disabled: to < 0 || to >= pages,
          onclick: () => {
            page = to;
            setQuery({ sp: page || null });
            redraw();
          },
        },
        label,
      );
    const t = table(
      `Sessions ${p.offset + 1}–${p.offset + p.rows.length} of ${fmtNum(p.total)}`,
      [
        { label: "IP", value: (s) => s.ip ?? shortHash(s.ipHash) },
        {
          label: "Country",
          value: (s) => (s.country ? h("span", { title: countryName(s.country) }, s.country) : "–"),
        },
        { label: "AS", value: (s) => (s.asn === null ? "–" : `AS${s.asn} ${s.asOrg ?? ""}`) },
        { label: "Start", value: (s) => fmtTime(s.start) },
        { label: "Requests", value: (s) => fmtNum(s.requests), numeric: true },
        { label: "Length", value: (s) => fmtDuration(s.end - s.start), numeric: true },
        { label: "Interval (s)", value: (s) => fmtNum(s.features.request_interval), numeric: true },
        { label: "Banned", value: (s) => (s.banned ? "yes" : "") },
        { label: "Cluster", value: (s) => (s.cluster === null ? "–" : clusterName(s.cluster)) },
        { label: "Attack", value: (s) => (s.attack === null ? "–" : String(s.attack)) },
      ],
      p.rows,
      "No sessions.",
    );
    // sortable headers: the caption's table keeps its <th>, each with a sort button
    const ths = t.querySelectorAll("th");
    for (const th of ths) {
      const label = th.textContent ?? "";
      const key = SORTABLE[label];
      if (key) {
        th.replaceChildren(header(key, label));
        th.setAttribute(
          "aria-sort",
          sort.replace(/^-/, "") === key ? (sort.startsWith("-") ? "descending" : "ascending") : "none",
        );
      }
    }
    out.replaceChildren(
      h(
        "div",
        { class: "row" },
        nav(0, "First"),
        nav(page - 1, "Previous"),
        h("span", {}, `page ${page + 1} of ${fmtNum(pages)}`),
        nav(page + 1, "Next"),
        nav(pages - 1, "Last"),
      ),
      t,
    );
  };
  const redraw = () => void draw().catch((err) => out.replaceChildren(errorBox(err)));
  const filter = h(
    "select",
    { id: "sessions-cluster" },
    h("option", { value: "" }, "all"),
    h("option", { value: "-1", selected: cluster === "-1" }, "not clustered"),
    ...(state.clusters?.clusters ?? []).map((c) =>
      h("option", { value: c.cluster, selected: String(c.cluster) === cluster }, clusterName(c.cluster)),
    ),
  );
  filter.addEventListener("change", () => {
    cluster = filter.value;
    page = 0;
    setQuery({ scluster: cluster, sp: null });
    redraw();
  });
  redraw();
  return section(
    "Sessions",
    h("div", { class: "row" }, h("label", { for: "sessions-cluster" }, "Cluster"), filter),
    out,
  );
}
