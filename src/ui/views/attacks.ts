/**
 * Attacks across incidents: summary, countries by attack, top user agents, Bothound's attack metrics;
 * one attack in detail (`?open=<incident>/<number>`): similar past attacks, common IPs, the botnet match and the
 * decrypted IP export for a server that may reveal IPs.
 */
import { api } from "../api.ts";
import { figure, replaceCharts } from "../charts/core.ts";
import { countryName } from "../charts/map.ts";
import { errorBox, fmtDuration, fmtNum, fmtPct, fmtTime, h, loading, section, table } from "../dom.ts";
import { href, type ViewContext } from "../router.ts";
import type { AttackReport, CommonIps, Health, SimilarAttack } from "../types.ts";
import { matchPanel } from "./attack-match.ts";

const attackName = (a: AttackReport) => `#${a.incidentId}/${a.number}`;

function countriesByAttack(ctx: ViewContext, attacks: AttackReport[]): HTMLElement {
  const countries = [...new Set(attacks.flatMap((a) => a.countries.slice(0, 4).map((c) => c.key)))];
  const f = figure(ctx, {
    label: `Countries by attack: ${attacks
      .map(
        (a) =>
          `${attackName(a)} ${a.countries
            .slice(0, 3)
            .map((c) => c.key)
            .join(" ")}`,
      )
      .join("; ")}`,
    caption: "Share of each attack's sessions from its top countries.",
    height: 300,
  });
  f.chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0, type: "scroll" },
    grid: { left: 56, right: 16, top: 40, bottom: 40 },
    xAxis: { type: "category", data: attacks.map(attackName) },
    yAxis: { type: "value", max: 1, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: countries.map((c) => ({
      type: "bar",
      stack: "c",
      name: `${countryName(c)} (${c})`,
      data: attacks.map((a) => a.countries.find((x) => x.key === c)?.share ?? 0),
    })),
  });
  return f.figure;
}

async function attackDetail(
  ctx: ViewContext,
  box: HTMLElement,
  a: AttackReport,
  health: Health | null,
): Promise<void> {
  const base = `incidents/${a.incidentId}/attacks/${a.number}`;
  const match = h("div", { class: "match" });
  const [similar, common] = await Promise.all([
    api.get<SimilarAttack[]>(`${base}/similar`, {}, ctx.signal),
    api.get<CommonIps[]>(`${base}/common-ips`, {}, ctx.signal),
  ]);
  replaceCharts(
    box,
    h("h2", { id: "attack-detail" }, `Attack ${a.number} of incident #${a.incidentId} (${a.target})`),
    h(
      "dl",
      { class: "facts" },
      ...[
        ["When", `${fmtTime(a.start)} – ${fmtTime(a.end)}`],
        ["Sessions / IPs", `${fmtNum(a.sessions)} / ${fmtNum(a.ips)}`],
        ["Labelled", `${a.method}${a.confidence === null ? "" : `, confidence ${fmtPct(a.confidence, 0)}`}`],
        ["Comment", a.comment ?? "–"],
        [
          "Top user agents",
          a.topUserAgents.map((u) => `${u.key || "(none)"} ${fmtPct(u.share, 0)}`).join("; "),
        ],
      ].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    health?.revealIps
      ? h(
          "p",
          {},
          h(
            "a",
            {
              href: api.downloadUrl(`${base}/export`, { format: "csv" }),
              download: `attack-${a.incidentId}-${a.number}.csv`,
            },
            "Export the attack's sessions with decrypted IPs (CSV)",
          ),
        )
      : h(
          "p",
          { class: "note" },
          "Decrypted IP export: start the server with the passphrase and --reveal-ips.",
        ),
    table(
      "Similar attacks (Bothound's distance, most similar first)",
      [
        {
          label: "Attack",
          value: (s) =>
            h(
              "a",
              { href: href("/attacks", { open: `${s.incidentId}/${s.number}` }) },
              `#${s.incidentId}/${s.number}`,
            ),
        },
        { label: "Target", value: (s) => s.target },
        { label: "Distance", value: (s) => fmtNum(s.distance, 3), numeric: true },
        { label: "Common IPs", value: (s) => fmtNum(s.commonIps), numeric: true },
        { label: "Of this attack", value: (s) => fmtPct(s.shareOfThis), numeric: true },
        { label: "Of the other", value: (s) => fmtPct(s.shareOfOther), numeric: true },
      ],
      similar,
      "No other attack yet.",
    ),
    table(
      "IPs shared with other incidents",
      [
        {
          label: "Incident",
          value: (c) => h("a", { href: href(`/incidents/${c.incidentId}`) }, `#${c.incidentId}`),
        },
        { label: "Target", value: (c) => c.target },
        { label: "Common IPs", value: (c) => fmtNum(c.commonIps), numeric: true },
        { label: "Of the attack", value: (c) => fmtPct(c.shareOfAttack), numeric: true },
        { label: "Of the incident", value: (c) => fmtPct(c.shareOfIncident), numeric: true },
      ],
      common,
      "No IP of this attack appears in another incident.",
    ),
    match,
  );
  await matchPanel(ctx, match, a.incidentId, a.number, a.botnet);
}

export async function attacksView(ctx: ViewContext): Promise<void> {
  const incident = ctx.query.get("incident");
  ctx.root.append(
    h("h1", { tabindex: -1 }, incident ? `Attacks of incident #${incident}` : "Attacks"),
    loading("attacks"),
  );
  const [attacks, health] = await Promise.all([
    api.get<AttackReport[]>("attacks", { incident }, ctx.signal),
    api.get<Health>("health", {}, ctx.signal).catch(() => null),
  ]);
  ctx.root.lastElementChild!.remove();
  if (incident)
    ctx.root.append(
      h(
        "p",
        {},
        h("a", { href: href("/attacks") }, "All attacks"),
        " · ",
        h("a", { href: href(`/incidents/${incident}`) }, `Incident #${incident}`),
      ),
    );
  // the attack opened below the list: `open=<incident>/<number>`
  const open = ctx.query.get("open");
  const chosen = attacks.find((a) => `${a.incidentId}/${a.number}` === open);
  ctx.root.append(
    section(
      "Attack summary",
      table(
        "Attacks",
        [
          {
            label: "Attack",
            value: (a) =>
              h(
                "a",
                {
                  href: href("/attacks", { incident, open: `${a.incidentId}/${a.number}` }),
                  "aria-current": a === chosen ? "true" : null,
                },
                attackName(a),
              ),
          },
          { label: "Target", value: (a) => a.target },
          { label: "Start", value: (a) => fmtTime(a.start) },
          { label: "Length", value: (a) => fmtDuration(a.end - a.start) },
          { label: "Sessions", value: (a) => fmtNum(a.sessions), numeric: true },
          { label: "IPs", value: (a) => fmtNum(a.ips), numeric: true },
          {
            label: "Countries",
            value: (a) =>
              a.countries
                .slice(0, 3)
                .map((c) => `${c.key} ${fmtPct(c.share, 0)}`)
                .join(", "),
          },
          {
            label: "Session length",
            value: (a) => fmtDuration(a.metrics.sessionLength ?? Number.NaN),
            numeric: true,
          },
          { label: "Image/HTML", value: (a) => fmtNum(a.metrics.imageHtmlRatio), numeric: true },
          { label: "Hits/min", value: (a) => fmtNum(a.metrics.hitRatePerMinute, 1), numeric: true },
          { label: "Method", value: (a) => a.method },
          {
            label: "Botnet",
            value: (a) =>
              a.botnet
                ? h(
                    "a",
                    { href: href(`/botnets/${encodeURIComponent(a.botnet.name)}`) },
                    `${a.botnet.name} (${a.botnet.decision})`,
                  )
                : "–",
          },
        ],
        attacks,
        "No attacks labelled yet: label one from an incident's clusters.",
      ),
    ),
  );
  if (attacks.length) {
    const uas = new Map<string, number>();
    for (const a of attacks)
      for (const u of a.topUserAgents) uas.set(u.key, (uas.get(u.key) ?? 0) + u.share * a.sessions);
    ctx.root.append(
      section("Countries by attack", countriesByAttack(ctx, attacks)),
      section(
        "Top user agents",
        table(
          "User agents across attacks (sessions, estimated from each attack's top three)",
          [
            { label: "User agent", value: (r) => r[0] || "(none)" },
            { label: "Sessions", value: (r) => fmtNum(Math.round(r[1])), numeric: true },
          ],
          [...uas].sort((x, y) => y[1] - x[1]).slice(0, 15),
        ),
      ),
    );
  }
  const detail = h("section", { "aria-labelledby": "attack-detail" });
  ctx.root.append(detail);
  if (chosen) {
    detail.append(loading("the attack"));
    await attackDetail(ctx, detail, chosen, health).catch((err) => detail.replaceChildren(errorBox(err)));
  } else if (attacks.length)
    detail.append(
      h("p", { class: "note" }, "Open an attack above for similar attacks, common IPs and its botnet."),
    );
}
