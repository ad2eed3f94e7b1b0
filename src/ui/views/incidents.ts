/** Incidents: the list (filter by target), creating one from a log on the server, processing status. */
import { api } from "../api.ts";
import { errorBox, fmtNum, fmtTime, h, loading, section, table } from "../dom.ts";
import { href, setQuery, type ViewContext } from "../router.ts";
import type { Incident } from "../types.ts";

export function jobStatus(i: Incident): HTMLElement {
  if (!i.job) return h("span", { class: `badge ${i.status}` }, i.status);
  const { state, progress, error } = i.job;
  if (state === "processing")
    return h(
      "span",
      { class: "badge processing" },
      h("progress", { max: 1, value: progress, "aria-label": `processing ${Math.round(progress * 100)}%` }),
      ` processing ${Math.round(progress * 100)}%`,
    );
  if (state === "failed")
    return h("span", { class: "badge failed", title: error ?? "" }, `failed: ${error ?? ""}`);
  return h("span", { class: `badge ${i.status}` }, i.status);
}

/** datetime-local value (read as UTC) to ISO-8601. */
function utc(value: string): string {
  return value ? `${value.length === 16 ? `${value}:00` : value}Z` : "";
}

function createForm(ctx: ViewContext, onCreated: (i: Incident) => void): HTMLElement {
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "create", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "New incident"),
    h(
      "label",
      {},
      "Target host",
      h("input", { name: "target", required: true, placeholder: "example.org", autocomplete: "off" }),
    ),
    h(
      "label",
      {},
      "From (UTC)",
      h("input", { name: "from", type: "datetime-local", step: 1, required: true }),
    ),
    h("label", {}, "To (UTC)", h("input", { name: "to", type: "datetime-local", step: 1, required: true })),
    h(
      "label",
      {},
      "Source log on the server (optional)",
      h("input", { name: "source", placeholder: "/var/log/nginx/access.log", autocomplete: "off" }),
    ),
    h("label", {}, "Comment", h("input", { name: "comment", autocomplete: "off" })),
    h("button", { type: "submit" }, "Create incident"),
    out,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const source = String(data.get("source") ?? "").trim();
    const comment = String(data.get("comment") ?? "").trim();
    out.replaceChildren(loading("the new incident"));
    try {
      const incident = await api.post<Incident>(
        "incidents",
        {
          target: String(data.get("target")).trim(),
          from: utc(String(data.get("from"))),
          to: utc(String(data.get("to"))),
          ...(source ? { source } : {}),
          ...(comment ? { comment } : {}),
        },
        ctx.signal,
      );
      out.replaceChildren(h("p", { role: "status" }, `Incident ${incident.id} created.`));
      form.reset();
      onCreated(incident);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  });
  return form;
}

export async function incidentsView(ctx: ViewContext): Promise<void> {
  const target = ctx.query.get("target") ?? "";
  const filter = h("input", {
    id: "target-filter",
    type: "search",
    value: target,
    placeholder: "all targets",
  });
  const listBox = h("div", {}, loading("incidents"));
  ctx.root.append(
    h("h1", { tabindex: -1 }, "Incidents"),
    h(
      "form",
      { class: "filter", role: "search" },
      h("label", { for: "target-filter" }, "Target"),
      filter,
      h("button", { type: "submit" }, "Filter"),
    ),
    listBox,
  );
  let timer: number | undefined;
  ctx.onDispose(() => clearTimeout(timer));

  const load = async () => {
    const t = filter.value.trim();
    const incidents = await api.get<Incident[]>("incidents", { target: t }, ctx.signal);
    listBox.replaceChildren(
      section(
        "Incident list",
        table(
          t ? `Incidents of ${t}` : "All incidents",
          [
            {
              label: "Id",
              value: (i) => h("a", { href: href(`/incidents/${i.id}`) }, `#${i.id}`),
              numeric: true,
            },
            {
              label: "Target",
              value: (i) =>
                h("a", { href: href("/anomaly", { target: i.target }), title: "anomaly timeline" }, i.target),
            },
            { label: "Start", value: (i) => fmtTime(i.start) },
            { label: "Stop", value: (i) => fmtTime(i.stop) },
            { label: "Origin", value: (i) => i.origin },
            {
              label: "Sessions",
              value: (i) => fmtNum(i.job?.state === "processing" ? i.job.sessions : i.sessions),
              numeric: true,
            },
            { label: "Attacks", value: (i) => fmtNum(i.attacks), numeric: true },
            { label: "Clustered", value: (i) => (i.clustered ? "yes" : "no") },
            { label: "Status", value: jobStatus },
            {
              label: "Actions",
              value: (i) =>
                h(
                  "button",
                  {
                    type: "button",
                    class: "link danger",
                    "aria-label": `Delete incident ${i.id}`,
                    disabled: i.job?.state === "processing",
                    onclick: async () => {
                      if (!confirm(`Delete incident ${i.id} of ${i.target} and its sessions?`)) return;
                      try {
                        await api.del(`incidents/${i.id}`, ctx.signal);
                        await load();
                      } catch (err) {
                        listBox.prepend(errorBox(err));
                      }
                    },
                  },
                  "Delete",
                ),
            },
          ],
          incidents,
          "No incidents yet: create one below, or run `botscope web analyze`.",
        ),
      ),
    );
    clearTimeout(timer);
    // processing incidents: poll until their jobs finish
    if (incidents.some((i) => i.job?.state === "processing"))
      timer = window.setTimeout(() => void load().catch(() => {}), 1000);
  };

  ctx.root.querySelector("form.filter")!.addEventListener("submit", (e) => {
    e.preventDefault();
    setQuery({ target: filter.value.trim() });
    void load().catch((err) => listBox.replaceChildren(errorBox(err)));
  });
  ctx.root.append(createForm(ctx, () => void load()));
  try {
    await load();
  } catch (err) {
    listBox.replaceChildren(errorBox(err));
  }
}
