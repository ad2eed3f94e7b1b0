import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BotscopeServer, buildServer } from "../../src/server/app.ts";
import { storeVariants } from "../helpers/stores.ts";
import { leakedAddresses, type Seeded, SITES, seedStore } from "./seed.ts";

/**
 * The endpoints whose answers come from aggregate SQL, on SQLite and on PostgreSQL (the store's two
 * dialects must give the same answers for the same simulated data).
 */
const answers = new Map<string, Map<string, unknown>>();
const URLS = (s: Seeded, shop: number) => [
  "/api/incidents",
  `/api/incidents/${shop}/sessions?limit=20&sort=-requests`,
  `/api/incidents/${shop}/clusters`,
  `/api/incidents/${shop}/clusters/box?feature=request_interval`,
  `/api/incidents/${shop}/countries`,
  `/api/incidents/${shop}/scatter?pca=1&sample=300`,
  `/api/incidents/${shop}/overlap?incident=${s.watchIncidents[0]}`,
  "/api/attacks",
  "/api/botnets",
  "/api/anomaly/targets",
  `/api/anomaly/series?target=${SITES[0]}&signal=request_rate&maxPoints=50`,
  "/api/anomaly/events",
  `/api/flow-runs/${s.detectRun}/hosts`,
  `/api/periodicity/runs/${s.periodicityRun}`,
];

/** Fields that differ between two runs of the same pipeline (wall-clock times, temporary paths). */
function stable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (k, v) =>
    ["createdAt", "startedAt", "finishedAt", "created_at", "source"].includes(k) ? undefined : v,
  );
}

/** Deep equality, numbers within 1e-9 (PostgreSQL may round the last digit of a double differently). */
function assertClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === "number" && typeof actual === "number") {
    assert.ok(
      Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
      `${path}: ${actual} vs ${expected}`,
    );
  } else if (expected && typeof expected === "object") {
    assert.ok(actual && typeof actual === "object", `${path}: ${JSON.stringify(actual)}`);
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual as object)]);
    for (const k of keys)
      assertClose(
        (actual as Record<string, unknown>)[k],
        (expected as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
  } else assert.equal(actual, expected, path);
}

const variants = storeVariants();

for (const variant of variants) {
  describe(`API on ${variant.name}`, { skip: variant.skip }, () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let seeded: Seeded;
    let app: BotscopeServer;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "botscope-pg-"));
      const created = await variant.create();
      cleanup = created.cleanup;
      seeded = await seedStore(dir, created.url);
      app = await buildServer({ store: seeded.store, config: seeded.config, env: {} });
    });
    after(async () => {
      await app?.close();
      await seeded?.store.close();
      await cleanup?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test("aggregates answer, with no plain address", async () => {
      assert.equal((await app.inject({ url: "/api/health" })).json().store, variant.name);
      const incidents = (await app.inject({ url: "/api/incidents" })).json() as {
        id: number;
        target: string;
        origin: string;
      }[];
      const shop = incidents.find((i) => i.target === SITES[0] && i.origin === "analyze")!.id;
      const got = new Map<string, unknown>();
      for (const url of URLS(seeded, shop)) {
        const r = await app.inject({ url });
        assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
        assert.deepEqual(leakedAddresses(r.body, seeded.addresses), [], url);
        got.set(url, stable(r.json()));
      }
      const clusters = got.get(`/api/incidents/${shop}/clusters`) as { clustered: boolean };
      assert.equal(clusters.clustered, true);
      answers.set(variant.name, got);
    });
  });
}

test("SQLite and PostgreSQL give the same answers", {
  skip: storeVariants().find((v) => v.skip)?.skip,
}, () => {
  const sqlite = answers.get("sqlite");
  const postgres = answers.get("postgres");
  assert.ok(sqlite && postgres);
  for (const [url, a] of sqlite) assertClose(postgres.get(url), a, url);
});
