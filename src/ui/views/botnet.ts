/** Botnets: the registry, and one botnet's history (which incidents, when, how many IPs). */
import { api } from "../api.ts";
import { figure } from "../charts/core.ts";
import { fmtNum, fmtTime, h, loading, section, table } from "../dom.ts";
import { href, type ViewContext } from "../router.ts";
import type { BotnetDetail, BotnetSummary } from "../types.ts";

const botnetLink = (name: string) => h("a", { href: href(`/botnets/${encodeURIComponent(name)}`) }, name);

export async function botnetsView(ctx: ViewContext): Promise<void> {
  ctx.root.append(h("h1", { tabindex: -1 }, "Botnets"), loading("botnets"));
  const botnets = await api.get<BotnetSummary[]>("botnets", {}, ctx.signal);
  ctx.root.lastElementChild!.replaceWith(
    table(
      "Known botnets",
      [
        { label: "Botnet", value: (b) => botnetLink(b.name) },
        { label: "Attacks", value: (b) => fmtNum(b.attacks), numeric: true },
        { label: "IPs", value: (b) => fmtNum(b.ips), numeric: true },
        { label: "Targets", value: (b) => b.targets.join(", ") },
        { label: "First seen", value: (b) => fmtTime(b.firstSeen) },
        { label: "Last seen", value: (b) => fmtTime(b.lastSeen) },
        { label: "Comment", value: (b) => b.comment ?? "" },
      ],
      botnets,
      "No botnets yet: match an attack to record one.",
    ),
  );
}

export async function botnetView(ctx: ViewContext): Promise<void> {
  const name = ctx.params.name;
  ctx.root.append(
    h("p", { class: "crumbs" }, h("a", { href: href("/botnets") }, "Botnets"), " / ", name),
    h("h1", { tabindex: -1 }, `Botnet ${name}`),
    loading("the botnet"),
  );
  const b = await api.get<BotnetDetail>(`botnets/${encodeURIComponent(name)}`, {}, ctx.signal);
  ctx.root.lastElementChild!.remove();
  const history = figure(ctx, {
    label: `Attacks of ${b.botnet.name} over time: ${b.attacks.map((a) => `${fmtTime(a.start)} on ${a.target} with ${a.ips} IPs`).join("; ")}`,
    caption: "Each attack of the botnet: when, and how many IPs.",
    height: 240,
  });
  history.chart.setOption({
    animation: false,
    tooltip: { trigger: "item", formatter: (p: { data: { label: string } }) => p.data.label },
    grid: { left: 56, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: "IPs" },
    series: [
      {
        type: "bar",
        barMaxWidth: 24,
        data: b.attacks.map((a) => ({
          value: [a.start * 1000, a.ips],
          label: `incident #${a.incidentId} ${a.target}, attack ${a.number}: ${a.ips} IPs, ${a.sessions} sessions`,
        })),
      },
    ],
  });
  ctx.root.append(
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Distinct IPs"),
      h("dd", { id: "botnet-ips" }, fmtNum(b.ips)),
      h("dt", {}, "Attacks"),
      h("dd", {}, fmtNum(b.attacks.length)),
      h("dt", {}, "Recorded"),
      h("dd", {}, fmtTime(b.botnet.createdAt)),
      h("dt", {}, "Comment"),
      h("dd", {}, b.botnet.comment ?? "–"),
    ),
    section(
      "History",
      history.figure,
      table(
        `Attacks of ${b.botnet.name}`,
        [
          {
            label: "Incident",
            value: (a) => h("a", { href: href(`/incidents/${a.incidentId}`) }, `#${a.incidentId}`),
          },
          {
            label: "Attack",
            value: (a) =>
              h("a", { href: href("/attacks", { open: `${a.incidentId}/${a.number}` }) }, String(a.number)),
          },
          { label: "Target", value: (a) => a.target },
          { label: "Start", value: (a) => fmtTime(a.start) },
          { label: "End", value: (a) => fmtTime(a.end) },
          { label: "Sessions", value: (a) => fmtNum(a.sessions), numeric: true },
          { label: "IPs", value: (a) => fmtNum(a.ips), numeric: true },
          { label: "Decision", value: (a) => a.decision },
          { label: "Score", value: (a) => fmtNum(a.score), numeric: true },
        ],
        b.attacks,
      ),
    ),
  );
}
