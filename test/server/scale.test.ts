import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Rng } from "../../src/core/random.ts";
import { type BotscopeServer, buildServer } from "../../src/server/app.ts";
import { storeClusters } from "../../src/store/clusters.ts";
import { createIncident } from "../../src/store/incidents.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { type NewSession, SESSION_FEATURES } from "../../src/store/schema.ts";
import { insertSessions } from "../../src/store/sessions.ts";
import { testConfig } from "./seed.ts";

/**
 * An incident of 100,000 sessions (synthetic rows written through the store, four clusters of very
 * different sizes): the server aggregates and samples, so answers stay small and every cluster shows.
 */
const SIZES = [70_000, 25_000, 4_900, 100];
const TOTAL = SIZES.reduce((a, b) => a + b, 0);
const COUNTRIES = ["US", "CN", "DE", "BR", "IN"];
let dir: string;
let store: Store;
let app: BotscopeServer;
let incidentId: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-scale-"));
  store = await openStore(join(dir, "botscope.db"));
  const incident = await createIncident(store, {
    target: "big.example.org",
    start: 1_772_409_600,
    stop: 1_772_496_000,
    status: "closed",
    origin: "manual",
  });
  incidentId = incident.id;
  const rng = new Rng(7);
  const rows: NewSession[] = [];
  const clusterOf: number[] = [];
  SIZES.forEach((size, c) => {
    for (let i = 0; i < size; i++) {
      const start = 1_772_409_600 + rng.int(86_000);
      const row: NewSession = {
        incident_id: incidentId,
        ip_hash: `h${String(rows.length % 60_000).padStart(21, "0")}`,
        ip_encrypted: null,
        ip_plain: null,
        host: null,
        session_number: 1,
        start_time: start,
        end_time: start + rng.int(600),
        requests: 1 + rng.int(200),
        country: COUNTRIES[(c + rng.int(2)) % COUNTRIES.length],
        banned: c === 3 ? 1 : 0,
      };
      for (const f of SESSION_FEATURES) row[f] = rng.normal(c * 5, 1);
      rows.push(row);
      clusterOf.push(c + 1);
    }
  });
  const ids = await insertSessions(store, rows);
  await storeClusters(
    store,
    incidentId,
    1,
    ids.map((sessionId, i) => ({ sessionId, cluster: clusterOf[i] })),
  );
  app = await buildServer({ store, config: testConfig(), storeUrl: join(dir, "botscope.db"), env: {} });
});

after(async () => {
  await app?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function timed(t: { diagnostic(s: string): void }, url: string) {
  const t0 = performance.now();
  const r = await app.inject({ url });
  t.diagnostic(`${url}: ${(performance.now() - t0).toFixed(0)} ms, ${r.body.length} bytes`);
  assert.equal(r.statusCode, 200, r.body);
  return r.json();
}

test("scatter of 100,000 sessions: at most `sample` points, every cluster present", async (t) => {
  const r = await timed(
    t,
    `/api/incidents/${incidentId}/scatter?x=request_interval&y=error_rate&sample=5000`,
  );
  assert.equal(r.total, TOTAL);
  assert.equal(r.points.length, 5000);
  const perCluster = new Map<number, number>();
  for (const p of r.points) perCluster.set(p[3], (perCluster.get(p[3]) ?? 0) + 1);
  assert.deepEqual([...perCluster.keys()].sort(), [1, 2, 3, 4]);
  assert.ok(perCluster.get(4)! >= 50, "the smallest cluster keeps at least 50 points");
  assert.ok(Math.abs(perCluster.get(1)! / 5000 - 0.7) < 0.02, "the rest in proportion");
  const pca = await timed(t, `/api/incidents/${incidentId}/scatter?pca=1&dims=3&sample=20000&log=0`);
  assert.equal(pca.points.length, 20_000);
  assert.ok(pca.explained[0] > 0.8, "the clusters lie along one direction");
  const usual = await timed(t, `/api/incidents/${incidentId}/scatter?pca=1`);
  assert.equal(usual.points.length, 5000);
});

test("cluster aggregates, box plots, countries and a page of sessions over 100,000 sessions", async (t) => {
  const c = await timed(t, `/api/incidents/${incidentId}/clusters`);
  assert.deepEqual(
    c.clusters.map((x: { sessions: number }) => x.sessions),
    SIZES,
  );
  assert.equal(c.clusters[3].bannedShare, 1);
  const box = await timed(t, `/api/incidents/${incidentId}/clusters/box?feature=payload_average`);
  assert.deepEqual(
    box.map((b: { n: number }) => b.n),
    SIZES,
  );
  box.forEach((b: { median: number }, i: number) => {
    assert.ok(Math.abs(b.median - i * 5) < 0.5);
  });
  const countries = await timed(t, `/api/incidents/${incidentId}/countries`);
  assert.equal(
    countries.reduce((s: number, x: { sessions: number }) => s + x.sessions, 0),
    TOTAL,
  );
  const page = await timed(t, `/api/incidents/${incidentId}/sessions?limit=100&offset=99950&sort=-requests`);
  assert.equal(page.total, TOTAL);
  assert.equal(page.rows.length, 50);
  const incidents = await timed(t, "/api/incidents");
  assert.equal(incidents[0].sessions, TOTAL);
});

test("clustering 100,000 sessions runs in the worker: other requests are answered meanwhile", async (t) => {
  const order: string[] = [];
  const t0 = performance.now();
  const clustering = app
    .inject({
      method: "POST",
      url: `/api/incidents/${incidentId}/cluster`,
      payload: { method: "kmeans", features: ["request_interval", "error_rate", "payload_average"], k: 4 },
    })
    .then((r) => {
      order.push("cluster");
      t.diagnostic(`POST cluster (k-means, k = 4): ${(performance.now() - t0).toFixed(0)} ms`);
      return r;
    });
  // give the worker the job first, then ask for a cheap page
  await new Promise((r) => setTimeout(r, 50));
  const health = await app.inject({ url: "/api/health" });
  order.push("health");
  t.diagnostic(`GET health meanwhile: ${(performance.now() - t0).toFixed(0)} ms`);
  assert.equal(health.statusCode, 200);
  const r = await clustering;
  assert.equal(r.statusCode, 200, r.body);
  assert.deepEqual(order, ["health", "cluster"]);
  const summary = r.json() as { clusters: { sessions: number }[] };
  assert.equal(summary.clusters.length, 4);
  assert.equal(
    summary.clusters.reduce((n, c) => n + c.sessions, 0),
    TOTAL,
  );
});
