/** Hosts with periodic peers (keep-alives, beacons): periods, scores, and each contact's phase histogram. */
import { api } from "../api.ts";
import { barChart } from "../charts/bar.ts";
import { fmtDuration, fmtNum, fmtTime, h, loading, section, shortHash, table } from "../dom.ts";
import { href, navigate, type ViewContext } from "../router.ts";
import type { Contact, FlowRun, PeriodicHost, PeriodicityRun } from "../types.ts";
import { hostLabel } from "./hosts.ts";

const period = (ms: number) => fmtDuration(ms / 1000);
const peerLabel = (c: Contact) => c.peer ?? `peer ${shortHash(c.peerHash)}`;

function contactFigure(ctx: ViewContext, host: PeriodicHost, c: Contact): HTMLElement {
  const bins = c.phaseHistogram;
  const f = barChart(ctx, {
    label: `Phase histogram of ${hostLabel(host)} to ${peerLabel(c)} at period ${period(c.periodMs)}: ${bins.join(", ")}`,
    caption: `${peerLabel(c)} ${c.proto}${c.port === null ? "" : `/${c.port}`}: contacts by phase of the ${period(c.periodMs)} period (${bins.length} bins); one tall bar is a clock.`,
    items: bins.map((v, i) => ({
      name: `${Math.round((360 * i) / bins.length)}°`,
      value: v,
      color: c.kind === "beacon" ? "#e15759" : "#4e79a7",
    })),
    yName: "contacts",
    height: 180,
  });
  return f.figure;
}

export async function periodicityView(ctx: ViewContext): Promise<void> {
  ctx.root.append(h("h1", { tabindex: -1 }, "Periodicity"), loading("periodicity runs"));
  const runs = await api.get<FlowRun[]>("periodicity/runs", {}, ctx.signal);
  ctx.root.lastElementChild!.remove();
  if (runs.length === 0) {
    ctx.root.append(h("p", {}, "No periodicity run stored yet: run `botscope beacons FILE --store`."));
    return;
  }
  const runId = Number(ctx.query.get("run") ?? runs[runs.length - 1].id);
  const chosen = runs.find((r) => r.id === runId) ?? runs[runs.length - 1];
  const hostParam = ctx.query.get("host");
  ctx.root.append(
    h(
      "div",
      { class: "row" },
      h("label", { for: "prun" }, "Run"),
      h(
        "select",
        {
          id: "prun",
          onchange: (e: Event) =>
            navigate(href("/periodicity", { run: (e.target as HTMLSelectElement).value })),
        },
        ...runs.map((r) =>
          h(
            "option",
            { value: r.id, selected: r.id === chosen.id },
            `#${r.id} ${r.mode ?? ""} ${r.source} (${fmtTime(r.startedAt)})`,
          ),
        ),
      ),
    ),
    loading("the run"),
  );
  const run = await api.get<PeriodicityRun>(`periodicity/runs/${chosen.id}`, {}, ctx.signal);
  ctx.root.lastElementChild!.remove();
  ctx.root.append(
    table(
      `Hosts with periodic peers (${run.run.mode})`,
      [
        {
          label: "Host",
          value: (p) =>
            h(
              "a",
              {
                href: href("/periodicity", { run: chosen.id, host: p.hostHash }),
                "aria-current": p.hostHash === hostParam ? "true" : null,
              },
              hostLabel(p),
            ),
        },
        { label: "Method", value: (p) => p.method },
        { label: "Peers", value: (p) => fmtNum(p.peers), numeric: true },
        { label: "Period", value: (p) => period(p.periodMs), numeric: true },
        { label: "Score", value: (p) => fmtNum(p.score, 2), numeric: true },
        { label: "Phase stability", value: (p) => fmtNum(p.phaseStability, 2), numeric: true },
        {
          label: "Periods",
          value: (p) => p.periods.map((x) => `${period(x.periodMs)}: ${x.peers}`).join(", "),
        },
      ],
      run.hosts,
      "No periodic host in this run.",
    ),
  );
  const host = run.hosts.find((p) => p.hostHash === hostParam);
  if (!host) return;
  ctx.root.append(
    section(
      `Contacts of ${hostLabel(host)}`,
      table(
        "Contacts and beacon scores",
        [
          { label: "Peer", value: peerLabel },
          { label: "Protocol/port", value: (c) => `${c.proto}${c.port === null ? "" : `/${c.port}`}` },
          { label: "Kind", value: (c) => c.kind },
          { label: "Period", value: (c) => period(c.periodMs), numeric: true },
          { label: "Contacts", value: (c) => fmtNum(c.contacts), numeric: true },
          { label: "Missed beats", value: (c) => fmtNum(c.missedBeats), numeric: true },
          { label: "Jitter", value: (c) => `${fmtNum(c.jitterMs, 0)} ms`, numeric: true },
          { label: "Confidence", value: (c) => fmtNum(c.confidence), numeric: true },
          { label: "Beacon score", value: (c) => fmtNum(c.beacon?.score ?? null), numeric: true },
          {
            label: "Beacon parts (timing / sizes / histogram / coverage)",
            value: (c) =>
              c.beacon
                ? [c.beacon.timestamps, c.beacon.sizes, c.beacon.histogram, c.beacon.coverage]
                    .map((v) => fmtNum(v))
                    .join(" / ")
                : "–",
          },
          { label: "First", value: (c) => fmtTime(c.first) },
          { label: "Last", value: (c) => fmtTime(c.last) },
        ],
        host.contacts,
        "relbot runs keep no per-contact detail.",
      ),
      h(
        "div",
        { class: "grid-charts" },
        ...host.contacts.slice(0, 12).map((c) => contactFigure(ctx, host, c)),
      ),
    ),
  );
}
