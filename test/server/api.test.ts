import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BotscopeServer, buildServer } from "../../src/server/app.ts";
import type { WebGroundTruth } from "../../src/simulate/web.ts";
import { leakedAddresses, type Seeded, SITES, seedStore } from "./seed.ts";

/**
 * Every endpoint of the dashboard API against a store seeded by the simulators (seed.ts), with good and
 * bad input. Every answer of the server without --reveal-ips is scanned for the simulated addresses.
 */
let dir: string;
let seeded: Seeded;
let app: BotscopeServer;
let revealing: BotscopeServer;
let truth: WebGroundTruth;
let shop: number;
let news: number;
const scanned: { url: string; leaks: string[] }[] = [];

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Json = any;

async function call(method: "GET" | "POST" | "DELETE", url: string, body?: unknown, server = app) {
  const r = await server.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
  if (server === app) scanned.push({ url, leaks: leakedAddresses(r.body, seeded.addresses) });
  return { status: r.statusCode, json: () => r.json() as Json, body: r.body, headers: r.headers };
}
const get = (url: string, server = app) => call("GET", url, undefined, server);
const post = (url: string, body: unknown) => call("POST", url, body);

/** A 4xx answer in the API's error shape, naming `mention` in its message or path. */
async function rejects(r: Promise<{ status: number; json: () => Json }>, status: number, mention?: RegExp) {
  const res = await r;
  assert.equal(res.status, status, JSON.stringify(res.json()));
  const e = res.json().error;
  assert.ok(e && typeof e.code === "string" && typeof e.message === "string", JSON.stringify(res.json()));
  if (mention) assert.match(`${e.path ?? ""} ${e.message}`, mention);
  return e;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-server-"));
  seeded = await seedStore(dir);
  truth = JSON.parse(readFileSync(join(dir, "access.labels.json"), "utf8"));
  const uiDir = join(dir, "ui");
  mkdirSync(join(uiDir, "assets"), { recursive: true });
  writeFileSync(join(uiDir, "index.html"), "<!doctype html><title>botscope ui</title>");
  writeFileSync(join(uiDir, "assets", "app.js"), "console.log('ui')");
  // clustering and the proposal in the worker thread (its own connection to the same store)
  app = await buildServer({
    store: seeded.store,
    config: seeded.config,
    storeUrl: join(dir, "botscope.db"),
    uiDir,
    env: {},
  });
  revealing = await buildServer({
    store: seeded.store,
    config: seeded.config,
    revealIps: true,
    uiDir,
    env: {},
  });
  const incidents = (await get("/api/incidents")).json() as Json[];
  shop = incidents.find((i) => i.target === SITES[0] && i.origin === "analyze")!.id;
  news = incidents.find((i) => i.target === SITES[1] && i.origin === "analyze")!.id;
});

after(async () => {
  await app?.close();
  await revealing?.close();
  await seeded?.store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("health and routing", () => {
  test("health says what the server runs with", async () => {
    assert.deepEqual((await get("/api/health")).json(), {
      ok: true,
      version: "0.1.0",
      revealIps: false,
      store: "sqlite",
      auth: false,
    });
    assert.equal((await get("/api/health", revealing)).json().revealIps, true);
  });

  test("unknown API routes are 404 in the error shape; the UI gets index.html for its routes", async () => {
    await rejects(get("/api/nothing"), 404, /no route GET \/api\/nothing/);
    await rejects(call("DELETE", "/api/botnets"), 404);
    const page = await get("/incidents/3");
    assert.equal(page.status, 200);
    assert.match(page.body, /botscope ui/);
    assert.match((await get("/")).body, /botscope ui/);
    assert.equal((await get("/assets/app.js")).status, 200);
    assert.equal((await get("/assets/missing.js")).status, 404);
  });

  test("without a built UI, / says how to build it", async () => {
    const bare = await buildServer({
      store: seeded.store,
      config: seeded.config,
      uiDir: join(dir, "none"),
      env: {},
    });
    const r = await bare.inject({ url: "/" });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /npm run build:ui/);
    await bare.close();
  });
});

describe("incidents", () => {
  test("lists the analysed and the watcher's incidents", async () => {
    const list = (await get("/api/incidents")).json() as Json[];
    assert.equal(list.length, 2 + seeded.watchIncidents.length);
    assert.deepEqual(
      list.filter((i) => i.origin === "anomaly").map((i) => i.id),
      seeded.watchIncidents,
    );
    for (const i of list) {
      assert.ok(i.sessions > 0);
      assert.equal(typeof i.clustered, "boolean");
      assert.equal(i.job, null);
    }
    const s = list.find((i) => i.id === shop)!;
    assert.equal(s.attacks, 2, "botnet-a attacked the shop twice");
    assert.equal(s.clustered, true);
    const only = (await get(`/api/incidents?target=${SITES[1]}`)).json() as Json[];
    assert.ok(only.length >= 1 && only.every((i) => i.target === SITES[1]));
    assert.deepEqual((await get("/api/incidents?target=nowhere.example")).json(), []);
  });

  test("one incident; bad and unknown ids", async () => {
    const one = (await get(`/api/incidents/${news}`)).json();
    assert.equal(one.target, SITES[1]);
    assert.equal(one.attacks, 1);
    await rejects(get("/api/incidents/999"), 404, /no incident 999/);
    await rejects(get("/api/incidents/abc"), 400, /params\.id/);
    await rejects(get("/api/incidents/0"), 400, /params\.id/);
    await rejects(get("/api/incidents/1.5"), 400, /params\.id/);
    await rejects(get("/api/incidents/99999999999999999999"), 400, /params\.id/);
  });

  test("features: every session feature with a label, the automatic ones marked", async () => {
    const f = (await get(`/api/incidents/${shop}/features`)).json() as Json[];
    assert.equal(f.length, 21);
    assert.ok(f.every((x) => typeof x.label === "string" && x.label.length > 0));
    assert.ok(f.find((x) => x.name === "request_interval")!.auto);
    assert.equal(f.find((x) => x.name === "ua_count")!.auto, false);
    await rejects(get("/api/incidents/999/features"), 404);
  });

  test("sessions: pages, order, filters; IPs only as hashes", async () => {
    const first = (await get(`/api/incidents/${shop}/sessions?limit=10&sort=-requests`)).json();
    const all = (await get(`/api/incidents/${shop}`)).json();
    assert.equal(first.total, all.sessions);
    assert.equal(first.rows.length, 10);
    const req = first.rows.map((r: Json) => r.requests);
    assert.deepEqual(
      req,
      [...req].sort((a, b) => b - a),
    );
    for (const r of first.rows) {
      assert.match(r.ipHash, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(r.ip, null);
      assert.equal(Object.keys(r.features).length, 21);
    }
    const next = (await get(`/api/incidents/${shop}/sessions?limit=10&offset=10&sort=-requests`)).json();
    assert.ok(next.rows[0].requests <= req[9]);
    const attacked = (await get(`/api/incidents/${shop}/sessions?attack=1&limit=1000`)).json();
    assert.ok(attacked.total > 0 && attacked.rows.every((r: Json) => r.attack === 1));
    const none = (await get(`/api/incidents/${shop}/sessions?attack=-1&limit=1`)).json();
    assert.equal(
      none.total +
        attacked.total +
        (await get(`/api/incidents/${shop}/sessions?attack=2&limit=1`)).json().total,
      all.sessions,
    );
    const byFeature = (await get(`/api/incidents/${shop}/sessions?sort=request_interval&limit=5`)).json();
    assert.equal(byFeature.rows.length, 5);
    await rejects(get(`/api/incidents/${shop}/sessions?limit=5000`), 400, /query\.limit/);
    await rejects(get(`/api/incidents/${shop}/sessions?limit=0`), 400, /query\.limit/);
    await rejects(get(`/api/incidents/${shop}/sessions?offset=-3`), 400, /query\.offset/);
    await rejects(get(`/api/incidents/${shop}/sessions?sort=password`), 400, /query\.sort/);
    await rejects(get(`/api/incidents/${shop}/sessions?cluster=x`), 400, /query\.cluster/);
    await rejects(get("/api/incidents/999/sessions"), 404);
  });

  test("revealing server: session IPs decrypt to the simulated addresses", async () => {
    const r = (await get(`/api/incidents/${shop}/sessions?attack=1&limit=1000`, revealing)).json();
    const bots = new Set(truth.attacks.filter((a) => a.site === SITES[0]).flatMap((a) => a.ips));
    const ips = r.rows.map((s: Json) => s.ip);
    assert.ok(ips.every((ip: string) => seeded.addresses.has(ip)));
    assert.ok(ips.filter((ip: string) => bots.has(ip)).length / ips.length > 0.9);
  });

  test("create without a source; bad bodies", async () => {
    const r = await post("/api/incidents", {
      target: "blog.example.com",
      from: "2026-03-02T00:00:00Z",
      to: 1772496000,
    });
    assert.equal(r.status, 201);
    const created = r.json();
    assert.equal(created.target, "blog.example.com");
    assert.equal(created.start, 1772409600);
    assert.equal(created.sessions, 0);
    await rejects(post("/api/incidents", { target: "x.example", from: 10, to: 5 }), 400, /after/);
    await rejects(
      post("/api/incidents", { target: "x.example", from: "yesterday", to: 5 }),
      400,
      /body\.from/,
    );
    await rejects(post("/api/incidents", { target: 42, from: 1, to: 5 }), 400, /body\.target/);
    await rejects(post("/api/incidents", { from: 1, to: 5 }), 400, /body\.target/);
    await rejects(post("/api/incidents", { target: "x.example", from: 1, to: 5, extra: 1 }), 400, /extra/);
    await rejects(
      post("/api/incidents", { target: "x.example", from: 1, to: 5, source: join(dir, "nope.log") }),
      400,
      /no such file/,
    );
    await rejects(
      post("/api/incidents", { target: "x.example", from: 1, to: 5, source: dir }),
      400,
      /not a file/,
    );
    const bad = await app.inject({
      method: "POST",
      url: "/api/incidents",
      headers: { "content-type": "application/json" },
      payload: '{"target": "x.example", ',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /JSON/);
    const text = await app.inject({
      method: "POST",
      url: "/api/incidents",
      headers: { "content-type": "application/xml" },
      payload: "<hi/>",
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error.code, "unsupported_media_type");
    const huge = await app.inject({
      method: "POST",
      url: "/api/incidents",
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({ target: "x.example", from: 1, to: 5, comment: "x".repeat(2 << 20) }),
    });
    assert.equal(huge.statusCode, 413);
    assert.equal((await call("DELETE", `/api/incidents/${created.id}`)).json().deleted, created.id);
    await rejects(get(`/api/incidents/${created.id}`), 404);
    await rejects(call("DELETE", `/api/incidents/${created.id}`), 404);
  });

  test("a source that is not a web log fails in the background without showing its content", async () => {
    const secret = join(dir, "not-a-log.txt");
    writeFileSync(secret, "root:x:0:0:secret-content\nline two of the secret\n");
    const r = await post("/api/incidents", { target: "x.example", from: 1, to: 2e9, source: secret });
    assert.equal(r.status, 201);
    await app.botscope.jobs.idle();
    const failed = (await get(`/api/incidents/${r.json().id}`)).json();
    assert.equal(failed.job.state, "failed");
    assert.match(failed.job.error, /no readable web log request|cannot recognise the log format/);
    assert.doesNotMatch(JSON.stringify(failed), /secret-content/);
    await call("DELETE", `/api/incidents/${failed.id}`);
  });

  test("create from a log on the server: processed in the background until ready", async () => {
    const r = await post("/api/incidents", {
      target: SITES[1],
      from: truth.start,
      to: truth.end,
      source: seeded.webLog,
      comment: "from the dashboard",
    });
    assert.equal(r.status, 201);
    const id = r.json().id;
    assert.ok(["processing", "ready"].includes(r.json().job.state));
    await app.botscope.jobs.idle();
    const done = (await get(`/api/incidents/${id}`)).json();
    assert.equal(done.job.state, "ready");
    assert.equal(done.job.progress, 1);
    assert.equal(done.status, "closed");
    const analysed = (await get(`/api/incidents/${news}`)).json();
    assert.equal(done.sessions, analysed.sessions, "same log, same site: same sessions as web analyze");
    await call("DELETE", `/api/incidents/${id}`);
  });
});

describe("exploring an incident", () => {
  test("scatter: raw features, sampled, stratified by cluster", async () => {
    const r = (
      await get(`/api/incidents/${shop}/scatter?x=request_interval&y=payload_average&sample=100`)
    ).json();
    const total = (await get(`/api/incidents/${shop}`)).json().sessions;
    assert.equal(r.total, total);
    assert.equal(r.sampled, 100);
    assert.equal(r.points.length, 100);
    assert.deepEqual(r.axes, ["request_interval", "payload_average"]);
    for (const p of r.points) {
      assert.equal(p.length, 7);
      assert.equal(p[2], null);
      assert.equal(typeof p[6], "number");
    }
    const clusters = (await get(`/api/incidents/${shop}/clusters`)).json().clusters as Json[];
    const seen = new Set(r.points.map((p: number[]) => p[3]));
    for (const c of clusters) assert.ok(seen.has(c.cluster), `cluster ${c.cluster} kept in the sample`);
    const again = (
      await get(`/api/incidents/${shop}/scatter?x=request_interval&y=payload_average&sample=100`)
    ).json();
    assert.deepEqual(again.points, r.points, "seeded: same points each time");
    const z = (
      await get(`/api/incidents/${shop}/scatter?x=request_interval&y=payload_average&z=error_rate&log=1`)
    ).json();
    assert.equal(z.points.length, z.total);
    assert.ok(z.points.every((p: number[]) => p[2] !== null));
  });

  test("scatter: PCA in 2 and 3 dimensions", async () => {
    const r = (await get(`/api/incidents/${shop}/scatter?pca=1&dims=3&sample=200`)).json();
    assert.deepEqual(r.axes, ["PC1", "PC2", "PC3"]);
    assert.equal(r.explained.length, 3);
    assert.ok(r.explained[0] >= r.explained[1] && r.explained[1] >= r.explained[2]);
    assert.ok(r.points.length <= 200 && r.points.every((p: number[]) => Number.isFinite(p[2])));
    const f = (
      await get(
        `/api/incidents/${shop}/scatter?pca=true&features=request_interval,error_rate,payload_average`,
      )
    ).json();
    assert.deepEqual(f.axes, ["PC1", "PC2"]);
  });

  test("scatter: bad input", async () => {
    const base = `/api/incidents/${shop}/scatter`;
    await rejects(get(`${base}?x=request_interval`), 400, /query\.y/);
    await rejects(get(`${base}?x=colour&y=error_rate`), 400, /unknown feature 'colour'/);
    await rejects(get(`${base}?pca=1&features=request_interval,nope`), 400, /unknown feature 'nope'/);
    await rejects(get(`${base}?pca=1&features=request_interval`), 400, /at least 2/);
    await rejects(get(`${base}?pca=1&dims=4`), 400, /query\.dims/);
    await rejects(get(`${base}?pca=maybe`), 400, /query\.pca/);
    await rejects(get(`${base}?x=error_rate&y=error_rate&sample=1000000`), 400, /query\.sample/);
    await rejects(get(`${base}?x=error_rate&y=error_rate&sample=0`), 400, /query\.sample/);
    await rejects(get("/api/incidents/999/scatter?pca=1"), 404);
  });

  test("clusters: sizes add up; countries ISO alpha-2; the attack clusters hold the attacks", async () => {
    const r = (await get(`/api/incidents/${shop}/clusters`)).json();
    const total = (await get(`/api/incidents/${shop}`)).json().sessions;
    assert.equal(r.level, 1);
    assert.equal(r.clustered, true);
    assert.equal(
      r.clusters.reduce((s: number, c: Json) => s + c.sessions, 0),
      total,
    );
    for (const c of r.clusters) {
      assert.ok(c.ips <= c.sessions && c.bannedShare === 0);
      assert.ok(
        c.countries.length <= 5 && c.countries.every((x: Json) => /^([A-Z]{2}|\?\?)$/.test(x.country)),
      );
      assert.ok(c.seenInOtherIncident >= 0 && c.seenInOtherIncident <= 1);
    }
    const attacked = r.clusters.filter((c: Json) => Object.keys(c.attacks).length > 0);
    assert.ok(attacked.length >= 1);
    // the watcher's incidents hold the same attack sessions: the attack clusters' IPs were seen elsewhere
    assert.ok(attacked.every((c: Json) => c.seenInOtherIncident > 0.5));
    const level2 = (await get(`/api/incidents/${shop}/clusters?level=2`)).json();
    assert.deepEqual(level2, { level: 2, clustered: false, clusters: [] });
    await rejects(get(`/api/incidents/${shop}/clusters?level=3`), 400, /query\.level/);
  });

  test("box plots per cluster", async () => {
    const r = (await get(`/api/incidents/${shop}/clusters/box?feature=request_interval`)).json() as Json[];
    assert.ok(r.length > 0);
    for (const b of r)
      if (b.n > 0) assert.ok(b.min <= b.q1 && b.q1 <= b.median && b.median <= b.q3 && b.q3 <= b.max);
    await rejects(get(`/api/incidents/${shop}/clusters/box`), 400, /query\.feature/);
    await rejects(get(`/api/incidents/${shop}/clusters/box?feature=size`), 400, /unknown feature/);
  });

  test("countries of the incident, of a cluster and of an attack", async () => {
    const all = (await get(`/api/incidents/${shop}/countries`)).json() as Json[];
    const total = (await get(`/api/incidents/${shop}`)).json().sessions;
    assert.equal(
      all.reduce((s, c) => s + c.sessions, 0),
      total,
    );
    assert.ok(all.every((c) => /^([A-Z]{2}|\?\?)$/.test(c.country) && c.ips <= c.sessions));
    assert.ok(all[0].sessions >= all[all.length - 1].sessions);
    const clusters = (await get(`/api/incidents/${shop}/clusters`)).json().clusters as Json[];
    const one = (
      await get(`/api/incidents/${shop}/countries?cluster=${clusters[0].cluster}`)
    ).json() as Json[];
    assert.equal(
      one.reduce((s, c) => s + c.sessions, 0),
      clusters[0].sessions,
    );
    const attack = (await get(`/api/incidents/${shop}/countries?attack=1`)).json() as Json[];
    assert.ok(attack.length > 0);
    await rejects(get(`/api/incidents/${shop}/countries?cluster=999`), 404, /no cluster 999/);
    await rejects(get(`/api/incidents/${shop}/countries?cluster=-2`), 400, /query\.cluster/);
  });

  test("overlap with another incident, an attack, a botnet", async () => {
    const watchShop = seeded.watchIncidents[0];
    const r = (await get(`/api/incidents/${shop}/overlap?incident=${watchShop}`)).json();
    assert.equal(r.against.kind, "incident");
    assert.ok(r.against.ips > 0);
    assert.ok(r.clusters.some((c: Json) => c.shared > 0));
    for (const c of r.clusters) assert.ok(c.shared <= c.ips && c.share === c.shared / c.ips);
    const attacks = (await get(`/api/attacks?incident=${shop}`)).json() as Json[];
    const byAttack = (await get(`/api/incidents/${shop}/overlap?attack=${attacks[0].attackId}`)).json();
    // every IP of its own attack lies in some cluster (an IP may lie in several)
    assert.equal(byAttack.against.ips, attacks[0].ips);
    assert.ok(byAttack.clusters.reduce((s: number, c: Json) => s + c.shared, 0) >= attacks[0].ips);
    const botnet = (await get(`/api/incidents/${news}/overlap?botnet=${attacks[0].botnet.name}`)).json();
    assert.equal(botnet.against.kind, "botnet");
    await rejects(get(`/api/incidents/${shop}/overlap`), 400, /exactly one/);
    await rejects(get(`/api/incidents/${shop}/overlap?incident=${news}&attack=1`), 400, /exactly one/);
    await rejects(get(`/api/incidents/${shop}/overlap?incident=${shop}`), 400, /same incident/);
    await rejects(get(`/api/incidents/${shop}/overlap?attack=9999`), 404);
    await rejects(get(`/api/incidents/${shop}/overlap?botnet=nobody`), 404, /no botnet nobody/);
  });
});

describe("clustering, proposal and labelling on a watcher incident", () => {
  test("proposal needs clusters first (409); POST proposal clusters and labels", async () => {
    const id = seeded.watchIncidents[2];
    await rejects(get(`/api/incidents/${id}/proposal`), 409, /not clustered/);
    const applied = (await post(`/api/incidents/${id}/proposal`, {})).json();
    assert.equal(applied.recorded, true);
    assert.equal(applied.clustered, true);
    assert.ok(applied.attacks.length >= 1);
    assert.ok(applied.attacks[0].reasons.length > 0);
    const dry = (await get(`/api/incidents/${id}/proposal`)).json();
    assert.equal(dry.recorded, false);
    assert.equal(
      dry.attacks[0].number,
      applied.attacks.length + 1,
      "a dry run numbers after the labelled ones",
    );
    assert.equal((await get(`/api/incidents/${id}`)).json().attacks, applied.attacks.length);
  });

  test("cluster with k-means, then DBSCAN, then again inside one cluster", async () => {
    const id = seeded.watchIncidents[0];
    const features = ["request_interval", "payload_average", "html2image_ratio", "error_rate"];
    const km = (
      await post(`/api/incidents/${id}/cluster`, { method: "kmeans", features, k: 3, log: true })
    ).json();
    assert.equal(km.level, 1);
    assert.equal(km.clusters.length, 3);
    const total = (await get(`/api/incidents/${id}`)).json().sessions;
    assert.equal(
      km.clusters.reduce((s: number, c: Json) => s + c.sessions, 0),
      total,
    );
    const auto = (
      await post(`/api/incidents/${id}/cluster`, { method: "kmeans", features, k: "auto", kMax: 5 })
    ).json();
    assert.ok(auto.chosenK.k >= 2 && auto.chosenK.k <= 5);
    const db = (
      await post(`/api/incidents/${id}/cluster`, { method: "dbscan", features, eps: 0.5, minSamples: 5 })
    ).json();
    assert.equal(db.algo, "dbscan");
    const clusters = (await get(`/api/incidents/${id}/clusters`)).json().clusters as Json[];
    assert.deepEqual(
      clusters.map((c) => c.cluster),
      db.clusters.map((c: Json) => c.cluster),
    );
    const biggest = [...clusters].sort((a, b) => b.sessions - a.sessions)[0];
    const inner = (
      await post(`/api/incidents/${id}/cluster`, {
        method: "kmeans",
        features,
        k: 2,
        within: biggest.cluster,
      })
    ).json();
    assert.equal(inner.level, 2);
    assert.equal(inner.sessions, biggest.sessions);
    const level2 = (await get(`/api/incidents/${id}/clusters?level=2`)).json();
    assert.equal(level2.clustered, true);
    assert.ok(level2.clusters.every((c: Json) => c.parent === biggest.cluster));
  });

  test("cluster: bad input", async () => {
    const url = `/api/incidents/${seeded.watchIncidents[0]}/cluster`;
    await rejects(
      post(url, { method: "kmeans", features: ["nope"] }),
      400,
      /body\.features\.0.*unknown feature/,
    );
    await rejects(post(url, { method: "kmeans", features: "request_interval" }), 400, /body\.features/);
    await rejects(post(url, { method: "optics", features: ["error_rate"] }), 400, /body\.method/);
    await rejects(post(url, { method: "kmeans", features: [] }), 400, /body\.features/);
    await rejects(
      post(url, { method: "kmeans", features: ["error_rate"], eps: 0.3 }),
      400,
      /body\.eps.*dbscan/,
    );
    await rejects(post(url, { method: "dbscan", features: ["error_rate"], k: 3 }), 400, /body\.k.*kmeans/);
    await rejects(post(url, { method: "kmeans", features: ["error_rate"], k: "many" }), 400, /body\.k/);
    await rejects(post(url, { method: "kmeans", features: ["error_rate"], k: 1e9 }), 400, /body\.k/);
    await rejects(
      post(url, { method: "kmeans", features: ["error_rate"], within: 999 }),
      404,
      /no cluster 999/,
    );
    await rejects(post("/api/incidents/999/cluster", { method: "kmeans", features: ["error_rate"] }), 404);
  });

  test("label clusters as an attack (label_attack)", async () => {
    const id = seeded.watchIncidents[1];
    await rejects(post(`/api/incidents/${id}/attacks`, { clusters: [1] }), 409, /not clustered/);
    await post(`/api/incidents/${id}/cluster`, {
      method: "kmeans",
      features: ["request_interval", "payload_average"],
      k: 3,
    });
    const clusters = (await get(`/api/incidents/${id}/clusters`)).json().clusters as Json[];
    const r = await post(`/api/incidents/${id}/attacks`, {
      clusters: [clusters[0].cluster],
      comment: "by hand",
    });
    assert.equal(r.status, 201);
    assert.equal(r.json().attack.number, 1);
    assert.equal(r.json().attack.method, "manual");
    assert.equal(r.json().sessions, clusters[0].sessions);
    const again = (await post(`/api/incidents/${id}/attacks`, { clusters: [clusters[1].cluster] })).json();
    assert.equal(again.attack.number, 2);
    await rejects(post(`/api/incidents/${id}/attacks`, { clusters: [77] }), 404, /no cluster 77/);
    await rejects(post(`/api/incidents/${id}/attacks`, { clusters: [] }), 400, /at least one cluster/);
    await rejects(post(`/api/incidents/${id}/attacks`, { clusters: ["1"] }), 400, /body\.clusters\.0/);
  });
});

describe("attacks and botnets", () => {
  test("attack reports with the botnet decisions: botnet-a returns on the shop", async () => {
    const shopAttacks = (await get(`/api/attacks?incident=${shop}`)).json() as Json[];
    const newsAttacks = (await get(`/api/attacks?incident=${news}`)).json() as Json[];
    assert.equal(shopAttacks.length, 2);
    assert.equal(newsAttacks.length, 1);
    assert.equal(shopAttacks[0].botnet.name, shopAttacks[1].botnet.name, "one botnet, seen twice");
    assert.equal(shopAttacks[1].botnet.decision, "matched");
    assert.notEqual(newsAttacks[0].botnet.name, shopAttacks[0].botnet.name);
    for (const a of [...shopAttacks, ...newsAttacks]) {
      assert.ok(a.sessions > 0 && a.ips > 0 && a.start < a.end);
      assert.ok(a.metrics.hitRatePerMinute > 0);
    }
    const all = (await get("/api/attacks")).json() as Json[];
    assert.ok(all.length >= 3);
    await rejects(get("/api/attacks?incident=abc"), 400, /query\.incident/);
    await rejects(get("/api/attacks?incident=999"), 404);
  });

  test("one attack: report, similar, common IPs, match", async () => {
    const a = (await get(`/api/incidents/${shop}/attacks/2`)).json();
    assert.equal(a.number, 2);
    const similar = (await get(`/api/incidents/${shop}/attacks/2/similar`)).json() as Json[];
    assert.ok(similar.length >= 2);
    assert.ok(similar[0].distance <= similar[similar.length - 1].distance);
    const first = similar.find((s) => s.incidentId === shop && s.number === 1)!;
    assert.ok(first.commonIps > 0, "botnet-a reused its bots");
    const common = (await get(`/api/incidents/${shop}/attacks/2/common-ips`)).json() as Json[];
    assert.ok(common.some((c) => seeded.watchIncidents.includes(c.incidentId)));
    const match = (await get(`/api/incidents/${shop}/attacks/2/match`)).json();
    assert.equal(match.recorded, false);
    assert.equal(match.decision, "matched");
    assert.equal(match.botnet.name, a.botnet.name);
    await rejects(get(`/api/incidents/${shop}/attacks/9`), 404, /no attack 9/);
    await rejects(get(`/api/incidents/${shop}/attacks/x`), 400, /params\.n/);
    await rejects(get(`/api/incidents/${shop}/attacks/2/similar?features=foo`), 400, /unknown feature/);
    await rejects(get(`/api/incidents/${shop}/attacks/9/match`), 404);
  });

  test("assign: by hand to a named botnet, or the automatic decision", async () => {
    const id = seeded.watchIncidents[2];
    const byHand = (
      await post(`/api/incidents/${id}/attacks/1/assign`, { botnet: "the-returning-one" })
    ).json();
    assert.deepEqual(byHand.botnet.name, "the-returning-one");
    const detail = (await get("/api/botnets/the-returning-one")).json();
    assert.equal(detail.attacks.length, 1);
    assert.equal(detail.attacks[0].decision, "manual");
    const auto = (await post(`/api/incidents/${id}/attacks/1/assign`, {})).json();
    assert.equal(auto.recorded, true);
    assert.ok(["matched", "new"].includes(auto.decision));
    await rejects(post(`/api/incidents/${id}/attacks/1/assign`, { botnet: "" }), 400, /body\.botnet/);
    await rejects(post(`/api/incidents/${id}/attacks/1/assign`, { botnet: "12" }), 400, /only digits/);
    await rejects(post(`/api/incidents/${id}/attacks/1/assign`, { botnet: 3 }), 400, /body\.botnet/);
    await rejects(post(`/api/incidents/${id}/attacks/42/assign`, {}), 404);
  });

  test("export: forbidden without --reveal-ips; with it, the attack's bots", async () => {
    await rejects(get(`/api/incidents/${shop}/attacks/1/export`), 403, /reveal-ips/);
    const csv = await get(`/api/incidents/${shop}/attacks/1/export?format=csv`, revealing);
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers["content-type"]), /text\/csv/);
    const lines = csv.body.trim().split("\n");
    assert.match(lines[0], /^ip,ip_hash,session_id/);
    const report = (await get(`/api/incidents/${shop}/attacks/1`)).json();
    assert.equal(lines.length - 1, report.sessions);
    const bots = new Set(truth.attacks.filter((a) => a.site === SITES[0]).flatMap((a) => a.ips));
    const ips = lines.slice(1).map((l) => l.split(",")[0]);
    assert.ok(ips.filter((ip) => bots.has(ip)).length / ips.length > 0.9);
    const json = (
      await get(`/api/incidents/${shop}/attacks/1/export?format=json`, revealing)
    ).json() as Json[];
    assert.equal(json.length, report.sessions);
    await rejects(get(`/api/incidents/${shop}/attacks/1/export?format=xml`, revealing), 400, /query\.format/);
  });

  test("botnets: list and history", async () => {
    const list = (await get("/api/botnets")).json() as Json[];
    const a = list.find((b) => b.targets.length === 1 && b.targets[0] === SITES[0] && b.attacks >= 2)!;
    assert.ok(a, JSON.stringify(list));
    assert.ok(a.ips > 0 && a.firstSeen < a.lastSeen);
    const byName = (await get(`/api/botnets/${a.name}`)).json();
    const byId = (await get(`/api/botnets/${a.id}`)).json();
    assert.deepEqual(byName, byId);
    assert.equal(byName.attacks.length, a.attacks);
    const starts = byName.attacks.map((x: Json) => x.start);
    assert.deepEqual(
      starts,
      [...starts].sort((x, y) => x - y),
    );
    await rejects(get("/api/botnets/nobody"), 404, /no botnet nobody/);
  });
});

describe("anomaly watcher", () => {
  test("targets, series with the threshold, events at the attacks", async () => {
    const targets = (await get("/api/anomaly/targets")).json() as Json[];
    assert.deepEqual(targets.map((t) => t.target).sort(), [...SITES].sort());
    for (const t of targets) assert.ok(t.points > 0 && t.first < t.last);
    const s = (await get(`/api/anomaly/series?target=${SITES[0]}&signal=request_rate`)).json();
    assert.equal(s.threshold, 0.95);
    assert.equal(s.interval, 120);
    assert.equal(s.points.length, s.total);
    assert.equal(s.total, targets.find((t) => t.target === SITES[0])!.points / 3);
    const attackStart = Date.parse(truth.attacks[0].start) / 1000;
    const peak = s.points.filter((p: number[]) => p[2] >= 0.95).map((p: number[]) => p[0]);
    assert.ok(
      peak.some((t: number) => Math.abs(t - attackStart) <= 240),
      "the flood scores above the threshold",
    );
    const small = (
      await get(`/api/anomaly/series?target=${SITES[0]}&signal=request_rate&maxPoints=10`)
    ).json();
    assert.ok(small.points.length <= 10);
    assert.equal(
      Math.max(...small.points.map((p: number[]) => p[2])),
      Math.max(...s.points.map((p: number[]) => p[2])),
    );
    const ranged = (
      await get(
        `/api/anomaly/series?target=${SITES[0]}&signal=ip_rate&from=${attackStart}&to=${attackStart + 600}`,
      )
    ).json();
    assert.equal(ranged.points.length, 5);
    const events = (await get(`/api/anomaly/events?target=${SITES[0]}`)).json() as Json[];
    assert.deepEqual(
      events.map((e) => e.kind),
      ["started", "stopped", "started", "stopped"],
    );
    assert.ok(events.every((e) => seeded.watchIncidents.includes(e.incidentId)));
    assert.equal((await get("/api/anomaly/events")).json().length, 6);
    await rejects(get(`/api/anomaly/series?target=${SITES[0]}&signal=cpu`), 400, /query\.signal/);
    await rejects(get("/api/anomaly/series?signal=ip_rate"), 400, /query\.target/);
    await rejects(get("/api/anomaly/series?target=nowhere.example&signal=ip_rate"), 404);
    await rejects(get(`/api/anomaly/series?target=${SITES[0]}&signal=ip_rate&maxPoints=1`), 400, /maxPoints/);
    await rejects(get("/api/anomaly/events?from=soon"), 400, /query\.from/);
  });
});

describe("flow runs and periodicity", () => {
  test("flow runs: the detect run's red hosts are the infected hosts", async () => {
    const runs = (await get("/api/flow-runs")).json() as Json[];
    assert.deepEqual(runs.map((r) => r.kind).sort(), ["detect", "periodicity"]);
    const detect = runs.find((r) => r.kind === "detect")!;
    assert.equal(detect.id, seeded.detectRun);
    assert.ok(detect.hosts > 0 && detect.red >= seeded.infected.length);
    assert.equal(detect.windowSeconds, 300);
    assert.deepEqual(
      (await get("/api/flow-runs?kind=periodicity")).json().map((r: Json) => r.id),
      [seeded.periodicityRun],
    );
    const red = (await get(`/api/flow-runs/${detect.id}/hosts?status=red`)).json().rows as Json[];
    assert.equal(red.length, detect.red);
    assert.ok(red.every((h) => h.status === "red" && h.host === null && h.redWindows > 0));
    const revealed = (await get(`/api/flow-runs/${detect.id}/hosts?status=red`, revealing)).json()
      .rows as Json[];
    for (const ip of seeded.infected)
      assert.ok(
        revealed.some((h) => h.host === ip),
        `${ip} is red`,
      );
    // pages of 1000 cover every host once, worst first
    const all: Json[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = (await get(`/api/flow-runs/${detect.id}/hosts?limit=1000&offset=${offset}`)).json();
      assert.equal(page.total, detect.hosts);
      all.push(...page.rows);
      if (page.rows.length < 1000) break;
    }
    assert.equal(new Set(all.map((h) => h.hostHash)).size, detect.hosts);
    const rank: Record<string, number> = { red: 2, yellow: 1, clear: 0 };
    for (let i = 1; i < all.length; i++)
      assert.ok(
        rank[all[i - 1].status] > rank[all[i].status] ||
          (all[i - 1].status === all[i].status && all[i - 1].maxScore >= all[i].maxScore),
      );
    const first = (await get(`/api/flow-runs/${detect.id}/hosts`)).json();
    assert.equal(first.limit, 100);
    assert.deepEqual(first.rows, all.slice(0, 100));
    const yellow = (await get(`/api/flow-runs/${detect.id}/hosts?status=yellow`)).json();
    assert.equal(yellow.total, detect.yellow);
    await rejects(get(`/api/flow-runs/${detect.id}/hosts?limit=5000`), 400, /query\.limit/);
    await rejects(get(`/api/flow-runs/${detect.id}/hosts?status=pink`), 400, /query\.status/);
    await rejects(get("/api/flow-runs/999/hosts"), 404);
    await rejects(get(`/api/flow-runs/${seeded.periodicityRun}/hosts`), 404, /no flow detect run/);
    await rejects(get("/api/flow-runs?kind=other"), 400, /query\.kind/);
  });

  test("one host's timeline: windows and why its status changed", async () => {
    const revealed = (await get(`/api/flow-runs/${seeded.detectRun}/hosts?status=red`, revealing)).json()
      .rows as Json[];
    const infected = revealed.find((h) => h.host === seeded.infected[0])!;
    const t = (await get(`/api/flow-runs/${seeded.detectRun}/hosts/${infected.hostHash}`)).json();
    assert.equal(t.host, null);
    assert.equal(t.windowSeconds, 300);
    const m = t.models[0];
    assert.equal(m.timeline.length, infected.windows);
    assert.ok(m.timeline.some((w: [number, number, number, number, string]) => w[4] === "red" && w[2] > 0));
    assert.ok(m.reasons.some((r: string[]) => r[1] === "red" && r[2].length > 0));
    await rejects(get(`/api/flow-runs/${seeded.detectRun}/hosts/not-a-hash`), 400, /params\.host/);
    await rejects(get(`/api/flow-runs/${seeded.detectRun}/hosts/AAAAAAAAAAAAAAAAAAAAAA`), 404);
  });

  test("periodicity: the p2p bot, its 5 peers every 600 s, phase histograms", async () => {
    const runs = (await get("/api/periodicity/runs")).json() as Json[];
    assert.equal(runs.length, 1);
    assert.equal(runs[0].mode, "keepalive");
    const r = (await get(`/api/periodicity/runs/${seeded.periodicityRun}`, revealing)).json();
    const bot = r.hosts.find((h: Json) => h.host === seeded.p2p);
    assert.ok(bot, JSON.stringify(r.hosts.map((h: Json) => h.host)));
    assert.equal(bot.peers, 5);
    assert.ok(Math.abs(bot.periodMs - 600_000) < 5000);
    assert.equal(bot.contacts.length, 5);
    for (const c of bot.contacts) {
      assert.equal(c.phaseHistogram.length, 32);
      assert.equal(
        c.phaseHistogram.reduce((a: number, b: number) => a + b, 0),
        c.contacts,
      );
      assert.ok(seeded.addresses.has(c.peer));
    }
    const hidden = (await get(`/api/periodicity/runs/${seeded.periodicityRun}`)).json();
    assert.ok(
      hidden.hosts.every((h: Json) => h.host === null && h.contacts.every((c: Json) => c.peer === null)),
    );
    await rejects(get(`/api/periodicity/runs/${seeded.detectRun}`), 404);
    await rejects(get("/api/periodicity/runs/x"), 400);
  });
});

test("no answer of the server without --reveal-ips shows a simulated address", () => {
  assert.ok(scanned.length > 100, `${scanned.length} answers scanned`);
  const leaks = scanned.filter((s) => s.leaks.length > 0);
  assert.deepEqual(leaks, []);
});
