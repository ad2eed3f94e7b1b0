/** "Has this botnet attacked before?" for one attack: candidates with their evidence, then record or assign. */
import { api } from "../api.ts";
import { replaceCharts } from "../charts/core.ts";
import { errorBox, fmtNum, fmtPct, h, loading, table } from "../dom.ts";
import { href, type ViewContext } from "../router.ts";
import type { BotnetRef, MatchResult } from "../types.ts";

/** `recorded`: the decision already stored for the attack (the ranking then leaves its own link out). */
export async function matchPanel(
  ctx: ViewContext,
  box: HTMLElement,
  incidentId: number,
  number: number,
  recorded: BotnetRef | null = null,
): Promise<void> {
  box.replaceChildren(loading("the botnet match"));
  const base = `incidents/${incidentId}/attacks/${number}`;
  let m: MatchResult;
  try {
    m = await api.get<MatchResult>(`${base}/match`, {}, ctx.signal);
  } catch (err) {
    box.replaceChildren(errorBox(err));
    return;
  }
  const best = m.candidates[0];
  const verdict =
    m.decision === "matched" && m.botnet
      ? h(
          "p",
          { class: "verdict matched", id: "match-verdict" },
          `Botnet match: attack ${number} looks like `,
          h("a", { href: href(`/botnets/${encodeURIComponent(m.botnet.name)}`) }, m.botnet.name),
          best
            ? ` (score ${best.score.toFixed(2)}, ${fmtPct(best.overlap.ofA, 0)} of its IPs seen before)`
            : "",
        )
      : h(
          "p",
          { class: "verdict new", id: "match-verdict" },
          `New botnet: attack ${number} matches no known botnet${best ? ` (best ${best.name}, score ${best.score.toFixed(2)})` : ""}.`,
        );
  const stored = recorded
    ? h(
        "p",
        { class: "verdict recorded", id: "recorded-botnet" },
        `Recorded: attack ${number} belongs to `,
        h("a", { href: href(`/botnets/${encodeURIComponent(recorded.name)}`) }, recorded.name),
        ` (${recorded.decision}${recorded.score === null ? "" : `, score ${recorded.score.toFixed(2)}`}). The ranking below leaves this attack's own link out.`,
      )
    : null;
  const out = h("div", { "aria-live": "polite" });
  const record = h(
    "button",
    { type: "button", id: "record-match" },
    m.decision === "matched" ? "Record the match" : "Record as a new botnet",
  );
  record.addEventListener("click", async () => {
    try {
      const r = await api.post<MatchResult>(`${base}/assign`, {}, ctx.signal);
      out.replaceChildren(
        h(
          "p",
          { role: "status" },
          "Recorded: attack ",
          String(number),
          " belongs to ",
          r.botnet
            ? h("a", { href: href(`/botnets/${encodeURIComponent(r.botnet.name)}`) }, r.botnet.name)
            : "–",
          ".",
        ),
      );
      record.disabled = true;
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  const name = h("input", {
    id: `assign-${incidentId}-${number}`,
    autocomplete: "off",
    placeholder: "botnet name",
  });
  const assign = h(
    "form",
    { class: "row" },
    h("label", { for: name.id }, "Or assign to botnet"),
    name,
    h("button", { type: "submit" }, "Assign"),
  );
  assign.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!name.value.trim()) return;
    try {
      const r = await api.post<{ botnet: { id: number; name: string } }>(
        `${base}/assign`,
        { botnet: name.value.trim() },
        ctx.signal,
      );
      out.replaceChildren(h("p", { role: "status" }, `Assigned to ${r.botnet.name}.`));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  replaceCharts(
    box,
    h("h3", {}, `Botnet match for attack ${number}`),
    stored,
    verdict,
    table(
      "Known botnets, most likely first",
      [
        {
          label: "Botnet",
          value: (c) => h("a", { href: href(`/botnets/${encodeURIComponent(c.name)}`) }, c.name),
        },
        { label: "Score", value: (c) => c.score.toFixed(2), numeric: true },
        { label: "Common IPs", value: (c) => fmtNum(c.overlap.common), numeric: true },
        { label: "Of this attack", value: (c) => fmtPct(c.overlap.ofA), numeric: true },
        { label: "Jaccard", value: (c) => c.overlap.jaccard.toFixed(3), numeric: true },
        { label: "Behaviour", value: (c) => c.behaviour.toFixed(2), numeric: true },
        { label: "Its attacks", value: (c) => fmtNum(c.attacks), numeric: true },
      ],
      m.candidates,
      "No botnet recorded yet.",
    ),
    recorded ? null : h("div", { class: "row" }, record),
    assign,
    out,
  );
}
