import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runWatch, type WatchOptions, type WatchSummary } from "../../src/app/watch.ts";
import { parseConfig } from "../../src/core/config.ts";
import { type WebGroundTruth, writeWebSimulation } from "../../src/simulate/web.ts";
import { listAnomalyEvents } from "../../src/store/anomaly-events.ts";
import { listIncidents } from "../../src/store/incidents.ts";
import { openStore, type Store } from "../../src/store/open.ts";

/**
 * Replay of three simulated days on two sites with three attacks on the last two days (the detector
 * warms up on the first day): one incident per attack on the attacked site, nothing else.
 */
const config = parseConfig({ privacy: { passphrase: "test", scrypt: { N: 1024 } } });
const SITES = ["shop.example.org", "news.example.net"];
let dir: string;
let log: string;
let truth: WebGroundTruth;
let store: Store;
let first: WatchSummary;
let lines: string[];

const options = (over: Partial<WatchOptions> = {}): WatchOptions => ({
  input: log,
  replay: true,
  weblog: { format: "auto" },
  threshold: 0.95,
  holdMinutes: 60,
  intervalSeconds: 120,
  gapSeconds: 1800,
  key: "ip",
  compat: false,
  ...over,
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-watch-"));
  log = join(dir, "access.log");
  truth = await writeWebSimulation(
    {
      seed: 3,
      hours: 72,
      sites: SITES,
      vhost: true,
      attacks: [
        {
          botnet: "botnet-a",
          site: SITES[0],
          startHour: 58,
          durationMinutes: 40,
          bots: 150,
          pattern: "page-flood",
        },
        {
          botnet: "botnet-b",
          site: SITES[1],
          startHour: 62,
          durationMinutes: 30,
          bots: 80,
          pattern: "login-flood",
        },
        {
          botnet: "botnet-a",
          site: SITES[0],
          startHour: 67,
          durationMinutes: 30,
          bots: 180,
          pattern: "cache-bust",
          reuseShare: 0.6,
        },
      ],
    },
    log,
    join(dir, "access.labels.json"),
  );
  store = await openStore(join(dir, "botscope.db"));
  lines = [];
  first = await runWatch(store, config, options({ onEvent: (m) => lines.push(JSON.stringify(m)) }));
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("watch --replay on simulated attacks", () => {
  test("one incident per attack, on the attacked site, opening within a few intervals of onset", () => {
    assert.equal(first.incidents.length, truth.attacks.length, JSON.stringify(first.events, null, 1));
    const incidents = [...first.incidents].sort((a, b) => a.start - b.start);
    for (const [i, a] of [...truth.attacks].sort((x, y) => x.start.localeCompare(y.start)).entries()) {
      const inc = incidents[i];
      const onset = Date.parse(a.start) / 1000;
      const end = Date.parse(a.end) / 1000;
      assert.equal(inc.target, a.site);
      assert.ok(inc.start >= onset - 240 && inc.start <= onset + 3 * 120, `${a.id} opened at ${inc.start}`);
      assert.ok(inc.stop >= end + 3600, `${a.id} closes after the attack plus the hold`);
      assert.ok(inc.stop <= end + 3 * 3600);
      assert.equal(inc.reason, "hold_expired");
      assert.ok(inc.sessions > 50, `${a.id}: ${inc.sessions} sessions`);
      assert.equal(inc.droppedRequests, 0);
    }
    assert.equal(first.badLines.total, 0);
    assert.equal(first.requests, truth.lines);
  });

  test("events are JSON lines in Grey Memory's shape, started then stopped per incident", () => {
    assert.equal(lines.length, 2 * truth.attacks.length);
    const open = new Map<string, number>();
    for (const l of lines) {
      const m = JSON.parse(l);
      assert.ok(m.message_type === "anomaly_started" || m.message_type === "anomaly_stopped");
      assert.equal(typeof m.target_host, "string");
      assert.equal(m.channel, "HTTP_response");
      assert.equal(typeof m.anomaly_rate, "number");
      assert.ok(m.anomaly_rate >= 0 && m.anomaly_rate <= 1);
      assert.ok(!Number.isNaN(Date.parse(m.time_stamp)));
      assert.ok(["success_ratio", "request_rate", "ip_rate"].includes(m.signal));
      assert.equal(typeof m.incident_id, "number");
      if (m.message_type === "anomaly_started") {
        assert.ok(m.anomaly_rate > 0.95);
        assert.ok(!open.has(m.target_host));
        open.set(m.target_host, m.incident_id);
      } else {
        assert.equal(open.get(m.target_host), m.incident_id);
        open.delete(m.target_host);
      }
    }
    assert.equal(open.size, 0);
  });

  test("the store has the events, the closed anomaly incidents, their sessions and the chain's attacks", async () => {
    const events = await listAnomalyEvents(store);
    assert.equal(events.length, 2 * truth.attacks.length);
    const incidents = await listIncidents(store);
    assert.equal(incidents.length, truth.attacks.length);
    for (const inc of incidents) {
      const w = first.incidents.find((x) => x.id === inc.id)!;
      assert.equal(inc.origin, "anomaly");
      assert.equal(inc.status, "closed");
      assert.equal(inc.start, w.start);
      assert.equal(inc.stop, w.stop);
      assert.equal(inc.sessions, w.sessions);
      assert.deepEqual(
        events.filter((e) => e.incident_id === inc.id).map((e) => e.kind),
        ["started", "stopped"],
      );
      assert.ok(w.chain, "chain ran");
      assert.ok(w.chain.labelling.attacks.length >= 1, `incident ${inc.id}: an attack is proposed`);
    }
    const attacks = await store.db.selectFrom("attacks").selectAll().execute();
    assert.ok(attacks.length >= truth.attacks.length);
  });

  test("replay is deterministic: same events twice (fresh store, chain off)", async () => {
    const s2 = await openStore(join(dir, "second.db"));
    try {
      const again: string[] = [];
      const second = await runWatch(
        s2,
        config,
        options({ chain: false, onEvent: (m) => again.push(JSON.stringify(m)) }),
      );
      assert.deepEqual(again, lines);
      assert.deepEqual(
        second.incidents.map((i) => [i.target, i.start, i.stop, i.sessions]),
        first.incidents.map((i) => [i.target, i.start, i.stop, i.sessions]),
      );
      assert.ok(second.incidents.every((i) => i.chain === undefined));
    } finally {
      await s2.close();
    }
  });

  test("no incident on the same traffic without the attacks", async () => {
    const clean = join(dir, "clean.log");
    await writeWebSimulation(
      { seed: 3, hours: 72, sites: SITES, vhost: true, attacks: [] },
      clean,
      `${clean}.json`,
    );
    const s3 = await openStore(join(dir, "clean.db"));
    try {
      const r = await runWatch(s3, config, options({ input: clean, chain: false }));
      assert.equal(r.incidents.length, 0, JSON.stringify(r.events));
      assert.ok(readFileSync(clean, "latin1").length > 0);
    } finally {
      await s3.close();
    }
  });
});
