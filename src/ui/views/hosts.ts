/** Internal hosts of a flow-detection run with their score and red/yellow status; run and model pickers. */
import { api } from "../api.ts";
import { fmtNum, fmtTime, h, loading, pager, shortHash, table } from "../dom.ts";
import { href, navigate, type ViewContext } from "../router.ts";
import type { FlowRun, HostRow, HostStatus } from "../types.ts";

const PAGE = 100;

export function statusBadge(status: HostStatus): HTMLElement {
  return h("span", { class: `status ${status}` }, status);
}

export function hostLabel(r: { host: string | null; hostHash: string }): string {
  return r.host ?? `host ${shortHash(r.hostHash)}`;
}

export async function hostsView(ctx: ViewContext): Promise<void> {
  ctx.root.append(h("h1", { tabindex: -1 }, "Hosts"), loading("flow runs"));
  const runs = await api.get<FlowRun[]>("flow-runs", { kind: "detect" }, ctx.signal);
  ctx.root.lastElementChild!.remove();
  if (runs.length === 0) {
    ctx.root.append(
      h("p", {}, "No flow detection stored yet: run `botscope flows detect FILE --models DIR --store`."),
    );
    return;
  }
  const runId = Number(ctx.query.get("run") ?? runs[runs.length - 1].id);
  const run = runs.find((r) => r.id === runId) ?? runs[runs.length - 1];
  const status = ctx.query.get("status") ?? "";
  const model = ctx.query.get("model") ?? "";
  const page = Math.max(0, Number(ctx.query.get("page") ?? 0) || 0);
  const models = (Array.isArray(run.parameters?.models) ? run.parameters.models : []).map((m: unknown) =>
    typeof m === "string" ? m : String((m as { name?: string }).name ?? ""),
  );
  const go = (patch: Record<string, string | number>) =>
    navigate(href("/hosts", { run: run.id, status, model, page: 0, ...patch }));

  const runSelect = h(
    "select",
    { id: "run", onchange: (e: Event) => go({ run: (e.target as HTMLSelectElement).value }) },
    ...runs.map((r) =>
      h(
        "option",
        { value: r.id, selected: r.id === run.id },
        `#${r.id} ${r.source} (${fmtTime(r.startedAt)})`,
      ),
    ),
  );
  const statusSelect = h(
    "select",
    { id: "status", onchange: (e: Event) => go({ status: (e.target as HTMLSelectElement).value }) },
    ...[
      ["", "any"],
      ["red", "red"],
      ["yellow", "yellow"],
      ["clear", "clear"],
    ].map(([v, t]) => h("option", { value: v, selected: v === status }, t)),
  );
  const modelSelect = h(
    "select",
    { id: "model", onchange: (e: Event) => go({ model: (e.target as HTMLSelectElement).value }) },
    h("option", { value: "" }, "all models"),
    ...models.map((m) => h("option", { value: m, selected: m === model }, m)),
  );
  ctx.root.append(
    h(
      "form",
      { class: "row", onsubmit: (e: Event) => e.preventDefault() },
      h("label", { for: "run" }, "Run"),
      runSelect,
      h("label", { for: "status" }, "Status"),
      statusSelect,
      h("label", { for: "model" }, "Model"),
      modelSelect,
    ),
    h(
      "p",
      {},
      `${fmtNum(run.hosts)} hosts, `,
      h("strong", {}, `${fmtNum(run.red)} red`),
      `, ${fmtNum(run.yellow)} yellow; windows of ${fmtNum(run.windowSeconds)} s every ${fmtNum(run.stepSeconds)} s.`,
    ),
    loading("hosts"),
  );
  // a /16 has thousands of hosts: the server pages them, worst first
  const hosts = await api.get<{ total: number; rows: HostRow[] }>(
    `flow-runs/${run.id}/hosts`,
    { status, model, limit: PAGE, offset: page * PAGE },
    ctx.signal,
  );
  const shown = hosts.rows;
  const pages = pager(hosts.total, page, PAGE, (p) =>
    href("/hosts", { run: run.id, status, model, page: p }),
  );
  ctx.root.lastElementChild!.replaceWith(
    pages,
    table(
      `Hosts of run #${run.id}, worst first`,
      [
        {
          label: "Host",
          value: (r) =>
            h(
              "a",
              { href: href(`/hosts/${run.id}/${encodeURIComponent(r.hostHash)}`, { model: r.model }) },
              hostLabel(r),
            ),
        },
        { label: "Status", value: (r) => statusBadge(r.status) },
        { label: "Max score", value: (r) => fmtNum(r.maxScore, 3), numeric: true },
        { label: "Model", value: (r) => r.model },
        { label: "Windows", value: (r) => fmtNum(r.windows), numeric: true },
        { label: "Red windows", value: (r) => fmtNum(r.redWindows), numeric: true },
        { label: "Yellow windows", value: (r) => fmtNum(r.yellowWindows), numeric: true },
        { label: "Flows", value: (r) => fmtNum(r.flows), numeric: true },
        { label: "Botnet flows", value: (r) => fmtNum(r.botnetFlows), numeric: true },
        { label: "First red", value: (r) => fmtTime(r.firstRed) },
      ],
      shown,
      "No host with this status.",
    ),
    pages.cloneNode(true),
  );
}
