/** Dashboard entry: routes, the navigation's current page, the server's health line. */
import { api } from "./api.ts";
import { render, route } from "./router.ts";
import type { Health } from "./types.ts";
import { anomalyView } from "./views/anomaly.ts";
import { attacksView } from "./views/attacks.ts";
import { botnetsView, botnetView } from "./views/botnet.ts";
import { hostView } from "./views/host.ts";
import { hostsView } from "./views/hosts.ts";
import { incidentView } from "./views/incident.ts";
import { incidentsView } from "./views/incidents.ts";
import { periodicityView } from "./views/periodicity.ts";

route("/incidents", incidentsView);
route("/incidents/:id", incidentView);
route("/attacks", attacksView);
route("/botnets", botnetsView);
route("/botnets/:name", botnetView);
route("/hosts", hostsView);
route("/hosts/:run/:host", hostView);
route("/periodicity", periodicityView);
route("/anomaly", anomalyView);

const main = document.getElementById("main")!;

function markNav(pattern: string | null): void {
  const section = pattern ? `/${pattern.split("/")[1]}` : "";
  for (const a of document.querySelectorAll<HTMLAnchorElement>("nav a[data-route]")) {
    if (a.dataset.route === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

let first = true;
async function show(): Promise<void> {
  await render(main, markNav);
  // move focus to the new view's heading so keyboard and screen-reader users land on it
  if (!first) main.querySelector<HTMLElement>("h1")?.focus();
  first = false;
  document.title = `${main.querySelector("h1")?.textContent ?? "botscope"} · botscope`;
}

window.addEventListener("hashchange", () => void show());
document.getElementById("skip")!.addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
void show();

api
  .get<Health>("health")
  .then((h) => {
    document.getElementById("health")!.textContent =
      `v${h.version} · ${h.store}${h.revealIps ? " · IPs revealed" : ""}`;
    document.body.dataset.revealIps = String(h.revealIps);
  })
  .catch(() => {
    document.getElementById("health")!.textContent = "server unreachable";
  });
