/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the real server
 * over a store seeded by the simulator. The analyst's path: open an incident, cluster it, pick the attack
 * clusters by clicking, save attack 1, see the returning botnet recognised, then open a red host's
 * timeline; plus the keyboard path and shareable links. Assertions use the simulator's ground truth.
 * Screenshots of each step go to test-artifacts/ui/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { AUTO_FEATURES } from "../../src/app/label.ts";
import { buildServer } from "../../src/server/app.ts";
import { NEWS, type Seeded, SHOP, seed } from "./seed.ts";

const CHROMIUM = "/usr/bin/chromium";
const UI_INDEX = "dist/ui/index.html";
const ARTIFACTS = "test-artifacts/ui";
// on CI (.ci/run installs it) a missing browser is a failure, not a skip
const skip =
  existsSync(CHROMIUM) || process.env.CI
    ? false
    : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`;

/** DBSCAN on the automatic features, log-scaled: the returning botnet's sessions form one pure cluster. */
const EPS = "0.8";

let dir: string;
let seeded: Seeded;
let server: Awaited<ReturnType<typeof buildServer>>;
let base: string;
let browser: Browser;

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on("pageerror", (e) => console.error("page error:", e.message));
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Level-1 clusters of an incident where the attacking bots are the majority, from the store. */
async function botClusters(incidentId: number): Promise<{ clusters: number[]; sessions: number }> {
  const rows = await seeded.store.db
    .selectFrom("sessions")
    .select(["ip_hash", "cluster_index"])
    .where("incident_id", "=", incidentId)
    .execute();
  const per = new Map<number, { bots: number; all: number }>();
  for (const r of rows) {
    const c = per.get(r.cluster_index ?? -1) ?? { bots: 0, all: 0 };
    c.all++;
    if (seeded.newsBots.has(r.ip_hash)) c.bots++;
    per.set(r.cluster_index ?? -1, c);
  }
  const picked = [...per].filter(([c, v]) => c > 0 && v.bots > v.all / 2);
  return {
    clusters: picked.map(([c]) => c).sort((a, b) => a - b),
    sessions: picked.reduce((s, [, v]) => s + v.all, 0),
  };
}

/** The botnet the chain recorded for an incident's first attack. */
async function botnetOf(incidentId: number): Promise<string> {
  const row = await seeded.store.db
    .selectFrom("attack_botnets")
    .innerJoin("attacks", "attacks.id", "attack_botnets.attack_id")
    .innerJoin("botnets", "botnets.id", "attack_botnets.botnet_id")
    .select("botnets.name")
    .where("attacks.incident_id", "=", incidentId)
    .executeTakeFirstOrThrow();
  return row.name;
}

describe("dashboard in chromium", { skip }, () => {
  before(async () => {
    if (!existsSync(UI_INDEX)) {
      const { build } = await import("vite");
      await build({ configFile: "src/ui/vite.config.ts", logLevel: "warn" });
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "botscope-ui-"));
    seeded = await seed(dir);
    server = await buildServer({ store: seeded.store, config: seeded.config, revealIps: true });
    await server.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // WebGL through SwiftShader, so the 3-D scatter draws without a GPU
      args: ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox"],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await seeded?.store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("incident -> cluster -> label attack 1 by clicking -> botnet match -> red host timeline", async () => {
    const page = await newPage();
    const newsId = seeded.incidents[NEWS];
    const newsSessions = Number(
      (
        await seeded.store.db
          .selectFrom("sessions")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("incident_id", "=", newsId)
          .executeTakeFirstOrThrow()
      ).n,
    );

    await page.goto(`${base}#/incidents`);
    const row = page.locator("tbody tr", {
      has: page.getByRole("link", { name: `#${newsId}`, exact: true }),
    });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${NEWS}[\\s\\S]*\\b${newsSessions}\\b`));
    await shot(page, "01-incidents");

    await row.getByRole("link", { name: `#${newsId}`, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: `Incident #${newsId}: ${NEWS}` }).waitFor();
    // feature picker: the automatic features, nothing else
    await page.getByRole("button", { name: "None" }).click();
    for (const f of AUTO_FEATURES) await page.locator(`input[name=feature][value=${f}]`).check();
    await page.getByRole("radio", { name: "DBSCAN" }).check();
    await page.getByLabel("eps").fill(EPS);
    await page.getByLabel("min samples").fill("10");
    await page.getByRole("button", { name: "Run clustering" }).click();
    const result = page.locator("#cluster-result");
    await result.waitFor();
    const truth = await botClusters(newsId);
    assert.equal(truth.clusters.length, 1, "the returning botnet is one DBSCAN cluster");
    assert.equal(truth.sessions, seeded.newsBots.size, "and holds every bot session, nothing else");
    assert.match(
      await result.innerText(),
      new RegExp(`^dbscan: \\d+ clusters over ${newsSessions} sessions`),
    );
    await page.locator("#cluster-sizes canvas").first().waitFor();
    await page.locator("#scatter canvas").first().waitFor();
    await shot(page, "02-clustered");

    // pick the bot cluster by clicking its bar (bars sit left to right in cluster order, noise first)
    const bot = truth.clusters[0];
    const boxes = page.locator("table[data-level='1'] input[data-cluster]");
    const order = await boxes.evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-cluster"))));
    const chart = page.locator("#cluster-sizes .chart");
    const bb = (await chart.boundingBox())!;
    const left = 56;
    const right = 16;
    const bottom = 48;
    const slot = (bb.width - left - right) / order.length;
    await chart.click({
      position: { x: left + slot * (order.indexOf(bot) + 0.5), y: bb.height - bottom - 4 },
    });
    await page.getByRole("checkbox", { name: `Select cluster ${bot}`, exact: true }).isChecked();
    assert.equal(
      await page.getByRole("checkbox", { name: `Select cluster ${bot}`, exact: true }).isChecked(),
      true,
    );
    assert.equal(await page.locator("#picked").innerText(), `Picked: cluster ${bot}`);
    // the automatic proposal is shown beside the manual choice
    await page.locator(".proposal p").first().waitFor();
    assert.match(await page.locator(".proposal").innerText(), /automatic proposal sees/);
    await shot(page, "03-picked");

    await page.getByRole("button", { name: "Save as attack 1" }).click();
    await page.locator("#attack-saved").waitFor();
    assert.equal(
      await page.locator("#attack-saved").innerText(),
      `Attack 1 saved: ${truth.sessions} sessions.`,
    );
    // botnet-a attacked the shop first (recorded by the chain): its botnet is recognised
    const shopBotnet = await botnetOf(seeded.incidents[SHOP]);
    const verdict = page.locator("#match-verdict");
    await verdict.waitFor();
    assert.match(
      await verdict.innerText(),
      new RegExp(`attack 1 looks like ${shopBotnet} \\(score 0\\.\\d\\d`),
    );
    await shot(page, "04-botnet-match");

    // hosts: the red ones are the simulator's infected hosts; open one
    await page.getByRole("navigation").getByRole("link", { name: "Hosts" }).click();
    await page.getByRole("heading", { level: 1, name: "Hosts" }).waitFor();
    const redRows = page.locator("tbody tr", { has: page.locator(".status.red") });
    await redRows.first().waitFor();
    const infected = Object.entries(seeded.flows.hosts)
      .filter(([, h]) => h.role === "infected")
      .map(([ip]) => ip);
    const redHosts = await redRows.locator("td:first-child a").allInnerTexts();
    assert.ok(redHosts.length > 0);
    for (const h of redHosts) assert.ok(infected.includes(h), `${h} is red but not infected`);
    await shot(page, "05-hosts");
    await redRows.first().locator("td:first-child a").click();
    await page.getByRole("heading", { level: 1, name: `Host ${redHosts[0]}` }).waitFor();
    await page.locator("#host-timeline canvas").first().waitFor();
    assert.match(await page.locator("#host-status").innerText(), /red/);
    assert.ok(
      (await page
        .getByRole("table", { name: "Status changes and their reasons" })
        .locator("tbody tr")
        .count()) > 0,
    );
    await shot(page, "06-host-timeline");
    await page.close();
  });

  test("a shared link opens the same view with the same choices", async () => {
    const page = await newPage();
    const newsId = seeded.incidents[NEWS];
    const { clusters } = await botClusters(newsId);
    const link = `${base}#/incidents/${newsId}?features=${AUTO_FEATURES.join(",")}&method=dbscan&eps=${EPS}&minSamples=10&sel=${clusters.join(",")}&box=request_interval&country=${clusters[0]}&flat=1`;
    await page.goto(link);
    await page.getByRole("heading", { level: 1, name: `Incident #${newsId}: ${NEWS}` }).waitFor();
    await page.locator("table[data-level='1']").waitFor();
    assert.equal(await page.getByLabel("eps").inputValue(), EPS);
    assert.equal(await page.getByRole("radio", { name: "DBSCAN" }).isChecked(), true);
    for (const c of clusters)
      assert.equal(
        await page.getByRole("checkbox", { name: `Select cluster ${c}`, exact: true }).isChecked(),
        true,
      );
    assert.equal(await page.locator("#box-feature").inputValue(), "request_interval");
    assert.equal(await page.locator("#country-cluster").inputValue(), String(clusters[0]));
    await page.locator("#scatter[data-mode='2d'] canvas").first().waitFor();
    await shot(page, "07-deep-link");

    // a host timeline link works as well
    const host = await seeded.store.db
      .selectFrom("host_scores")
      .select("host_hash")
      .where("run_id", "=", seeded.flowRunId)
      .where("status", "=", "red")
      .executeTakeFirstOrThrow();
    await page.goto(`${base}#/hosts/${seeded.flowRunId}/${encodeURIComponent(host.host_hash)}`);
    await page.locator("#host-timeline canvas").first().waitFor();
    assert.match(await page.locator("#host-status").innerText(), /red/);
    await page.close();
  });

  test("keyboard: tab to the clustering button and press Enter", async () => {
    const page = await newPage();
    const newsId = seeded.incidents[NEWS];
    await page.goto(
      `${base}#/incidents/${newsId}?features=${AUTO_FEATURES.join(",")}&method=dbscan&eps=${EPS}&minSamples=10`,
    );
    await page.getByRole("button", { name: "Run clustering" }).waitFor();
    let tabs = 0;
    while ((await page.evaluate("document.activeElement && document.activeElement.id")) !== "run-cluster") {
      await page.keyboard.press("Tab");
      assert.ok(++tabs < 200, "the clustering button is reachable with Tab");
    }
    await page.keyboard.press("Enter");
    await page.locator("#cluster-result").waitFor();
    assert.match(await page.locator("#cluster-result").innerText(), /^dbscan: \d+ clusters/);
    await shot(page, "08-keyboard");
    await page.close();
  });

  test("double clustering: k-means inside the bot cluster gives a level-2 table to pick from", async () => {
    const page = await newPage();
    const newsId = seeded.incidents[NEWS];
    const { clusters } = await botClusters(newsId);
    await page.goto(`${base}#/incidents/${newsId}?method=kmeans&k=2`);
    await page.locator("table[data-level='1']").waitFor();
    await page.getByLabel("Cluster within").selectOption(String(clusters[0]));
    await page.getByRole("button", { name: "Run clustering" }).click();
    await page.locator("table[data-level='2']").waitFor();
    const result = await page.locator("#cluster-result").innerText();
    assert.match(
      result,
      new RegExp(`^kmeans: 2 clusters over ${seeded.newsBots.size} sessions, inside cluster ${clusters[0]}`),
    );
    assert.equal(await page.locator("table[data-level='2'] tbody tr").count(), 2);
    await page.getByRole("checkbox", { name: "Select level-2 cluster 1", exact: true }).check();
    assert.match(await page.locator("#picked").innerText(), /level-2 cluster 1/);
    await shot(page, "15-double-clustering");
    await page.close();
  });

  test("without WebGL the 3-D scatter falls back to 2-D", async () => {
    const noGl = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--disable-webgl", "--disable-3d-apis", "--no-sandbox"],
    });
    try {
      const page = await noGl.newPage({ viewport: { width: 1360, height: 1000 } });
      await page.goto(`${base}#/incidents/${seeded.incidents[SHOP]}`);
      await page.locator("#scatter[data-mode='2d'] canvas").first().waitFor();
      await page.getByText("No WebGL here: drawn in 2-D, the third axis as point size.").waitFor();
      await shot(page, "14-no-webgl");
    } finally {
      await noGl.close();
    }
  });

  test("attacks and botnets: the shop's attack, the IPs it shares with the news site, its botnet", async () => {
    const page = await newPage();
    const shopId = seeded.incidents[SHOP];
    const newsId = seeded.incidents[NEWS];
    const shopTruth = seeded.web.attacks.find((a) => a.site === SHOP)!;
    const newsTruth = seeded.web.attacks.find((a) => a.site === NEWS)!;
    const reused = shopTruth.ips.filter((ip) => newsTruth.ips.includes(ip)).length;
    await page.goto(`${base}#/attacks`);
    await page.getByRole("link", { name: `#${shopId}/1`, exact: true }).click();
    await page.getByRole("heading", { name: `Attack 1 of incident #${shopId} (${SHOP})` }).waitFor();
    const shared = page
      .getByRole("table", { name: "IPs shared with other incidents" })
      .locator("tr", { has: page.getByRole("link", { name: `#${newsId}`, exact: true }) });
    assert.match(await shared.innerText(), new RegExp(`${NEWS}\\s+${reused}\\s`));
    // decrypted export (the test server reveals IPs): exactly the simulator's bots of that attack
    const exportLink = page.getByRole("link", { name: /Export the attack's sessions with decrypted IPs/ });
    const csv = await (
      await page.request.get(new URL((await exportLink.getAttribute("href"))!, base).href)
    ).text();
    const [head, ...lines] = csv.trim().split("\n");
    const ipColumn = head.split(",").indexOf("ip");
    assert.ok(ipColumn >= 0, head);
    assert.deepEqual(new Set(lines.map((l) => l.split(",")[ipColumn])), new Set(shopTruth.ips));
    await page.locator("#match-verdict").waitFor();
    const shopBotnet = await botnetOf(shopId);
    assert.match(
      await page.locator("#recorded-botnet").innerText(),
      new RegExp(`belongs to ${shopBotnet} \\(new`),
    );
    await shot(page, "11-attack");

    const botnet = page.getByRole("table", { name: "Attacks" }).getByRole("link", { name: /\(new\)$/ });
    await botnet.first().click();
    await page.locator("#botnet-ips").waitFor();
    assert.equal(await page.locator("#botnet-ips").innerText(), String(shopTruth.ips.length));
    await page.locator("figure canvas").first().waitFor();
    await shot(page, "12-botnet");
    await page.close();
  });

  test("an incident created from a log on the server is processed in the background", async () => {
    const page = await newPage();
    const shopSessions = Number(
      (
        await seeded.store.db
          .selectFrom("sessions")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("incident_id", "=", seeded.incidents[SHOP])
          .executeTakeFirstOrThrow()
      ).n,
    );
    await page.goto(`${base}#/incidents`);
    await page.getByLabel("Target host").fill(SHOP);
    await page.getByLabel("From (UTC)").fill(seeded.web.start.slice(0, 16));
    await page.getByLabel("To (UTC)").fill(seeded.web.end.slice(0, 16));
    await page.getByLabel("Source log on the server (optional)").fill(join(dir, "access.log"));
    await page.getByRole("button", { name: "Create incident" }).click();
    const created = page.getByText(/^Incident \d+ created\.$/);
    await created.waitFor();
    const id = /Incident (\d+)/.exec(await created.innerText())![1];
    const row = page.locator("tbody tr", { has: page.getByRole("link", { name: `#${id}`, exact: true }) });
    // the list polls while the job runs; the status ends as closed with every session of the shop
    await row.locator(".badge.closed").waitFor({ timeout: 60_000 });
    assert.match(await row.innerText(), new RegExp(`\\b${shopSessions}\\b`));
    await shot(page, "13-created");
    await page.close();
  });

  test("periodicity and anomaly views show the simulator's p2p bot and the watcher's incidents", async () => {
    const page = await newPage();
    await page.goto(`${base}#/periodicity`);
    const p2p = seeded.flows.p2p[0];
    const link = page.getByRole("link", { name: p2p.host, exact: true });
    await link.waitFor();
    await link.click();
    await page.getByRole("heading", { name: `Contacts of ${p2p.host}` }).waitFor();
    await page.locator(".grid-charts canvas").first().waitFor();
    await shot(page, "09-periodicity");

    await page.goto(`${base}#/anomaly?target=${NEWS}&signal=request_rate&live=1`);
    await page.locator("#anomaly-timeline canvas").first().waitFor();
    assert.equal(await page.getByLabel("Signal").inputValue(), "request_rate");
    assert.equal(await page.getByRole("checkbox", { name: "Follow live (every 30 s)" }).isChecked(), true);
    const events = page.getByRole("table", { name: `Anomaly events of ${NEWS}` });
    const watched = seeded.watchIncidents;
    const links = await events.getByRole("link").allInnerTexts();
    assert.ok(
      links.some((l) => watched.map((id) => `#${id}`).includes(l)),
      `events link the watcher's incidents ${watched}`,
    );
    await shot(page, "10-anomaly");
    await page.close();
  });
});
