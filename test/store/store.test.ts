import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { addKey, currentKey, ipHasher, unlockKey } from "../../src/app/keys.ts";
import { parseConfig } from "../../src/core/config.ts";
import { UserError } from "../../src/core/errors.ts";
import { createIncident, deleteIncident, getIncident, listIncidents } from "../../src/store/incidents.ts";
import { listKeys } from "../../src/store/keys.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { type NewSession, SESSION_FEATURES } from "../../src/store/schema.ts";
import { insertSessions, sessionsOfIncident } from "../../src/store/sessions.ts";
import { storeVariants } from "../helpers/stores.ts";

const config = parseConfig({ privacy: { passphrase: "correct horse", scrypt: { N: 1024 } } });
const otherConfig = parseConfig({ privacy: { passphrase: "battery staple", scrypt: { N: 1024 } } });

function fakeSession(incidentId: number, i: number): NewSession {
  const s: NewSession = {
    incident_id: incidentId,
    ip_hash: `h${i % 700}`,
    ip_encrypted: null,
    ip_plain: null,
    host: "example.org",
    session_number: i,
    start_time: 1772409600.125 + i,
    end_time: 1772409700.5 + i,
    requests: 10 + i,
    country: i % 2 ? "NL" : "CA",
    asn: 1000 + i,
    banned: i % 10 === 0 ? 1 : 0,
  } as NewSession;
  SESSION_FEATURES.forEach((f, k) => {
    (s as Record<string, unknown>)[f] = k === 3 ? null : i / 7 + k;
  });
  return s;
}

for (const variant of storeVariants()) {
  describe(`store on ${variant.name}`, { skip: variant.skip }, () => {
    let url: string;
    let cleanup: () => Promise<void>;
    let store: Store;

    before(async () => {
      ({ url, cleanup } = await variant.create());
      store = await openStore(url);
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    test("migrations are idempotent and create the whole domain", async () => {
      const again = await openStore(url);
      await again.close();
      const tables = [
        "encryption_keys",
        "targets",
        "incidents",
        "sessions",
        "user_agents",
        "session_user_agents",
        "attacks",
        "botnets",
        "attack_botnets",
        "anomaly_events",
        "flow_runs",
        "host_scores",
        "periodicity_findings",
      ];
      for (const t of tables) {
        const r = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(store.db);
        assert.equal(Number(r.rows[0].n), 0, t);
      }
    });

    test("incidents and 1,000 sessions round-trip with every feature", async () => {
      const { key } = await currentKey(store, config);
      const incident = await createIncident(store, {
        target: "Example.org",
        start: 1772409600.5,
        stop: 1772413200,
        status: "closed",
        origin: "analyze",
        source: "test.log",
        comment: null,
        key_id: key.id,
        processed: 0,
      });
      assert.equal(incident.start, 1772409600.5);
      const rows = Array.from({ length: 1000 }, (_, i) => fakeSession(incident.id, i));
      assert.equal((await insertSessions(store, rows)).length, 1000);
      const back = await sessionsOfIncident(store, incident.id);
      assert.equal(back.length, 1000);
      for (const i of [0, 1, 499, 999]) {
        const want = rows[i];
        const got = back[i];
        assert.equal(got.start_time, want.start_time);
        assert.equal(got.requests, want.requests);
        assert.equal(got.country, want.country);
        for (const f of SESSION_FEATURES) assert.equal(got[f], want[f], f);
      }
      const listed = await listIncidents(store, { target: "example.org" });
      assert.equal(listed.length, 1);
      assert.equal(listed[0].sessions, 1000);
      assert.equal(listed[0].target, "example.org");
    });

    test("a failing bulk insert writes nothing", async () => {
      const incident = await createIncident(store, {
        target: "example.org",
        start: 1,
        stop: 2,
        status: "closed",
        origin: "manual",
      });
      const rows = Array.from({ length: 900 }, (_, i) => fakeSession(incident.id, i));
      (rows[850] as Record<string, unknown>).ip_hash = null;
      await assert.rejects(insertSessions(store, rows));
      assert.equal((await sessionsOfIncident(store, incident.id)).length, 0);
      assert.ok(await deleteIncident(store, incident.id));
      assert.equal(await getIncident(store, incident.id), undefined);
    });

    test("attacks, botnets, anomaly events, flow runs, host scores and periodicity findings", async () => {
      const [incident] = await listIncidents(store, { target: "example.org" });
      const attack = await store.db
        .insertInto("attacks")
        .values({ incident_id: incident.id, number: 1, label_method: "manual" })
        .returningAll()
        .executeTakeFirstOrThrow();
      const botnet = await store.db
        .insertInto("botnets")
        .values({ name: "botnet-a" })
        .returningAll()
        .executeTakeFirstOrThrow();
      await store.db
        .insertInto("attack_botnets")
        .values({
          attack_id: attack.id,
          botnet_id: botnet.id,
          score: 0.8,
          decision: "matched",
          evidence: "{}",
        })
        .execute();
      await store.db
        .insertInto("anomaly_events")
        .values({
          target_id: incident.target_id,
          kind: "started",
          channel: "HTTP_response",
          signal: "success_ratio",
          score: 0.97,
          at: 1772409600,
          incident_id: incident.id,
        })
        .execute();
      const run = await store.db
        .insertInto("flow_runs")
        .values({
          kind: "detect",
          source: "x.binetflow",
          started_at: 1,
          window_seconds: 300,
          step_seconds: 150,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await store.db
        .insertInto("host_scores")
        .values({
          run_id: run.id,
          host_hash: "hh",
          window_start: 0,
          window_end: 300,
          model: "m1",
          flows: 10,
          botnet_flows: 3,
          score: 0.3,
          status: "clear",
          reason: null,
        })
        .execute();
      await store.db
        .insertInto("periodicity_findings")
        .values({ run_id: run.id, src_hash: "s", method: "relbot", period_ms: 600000, count: 4 })
        .execute();
      const joined = await store.db
        .selectFrom("attack_botnets")
        .innerJoin("botnets", "botnets.id", "attack_botnets.botnet_id")
        .select(["botnets.name", "attack_botnets.score"])
        .executeTakeFirstOrThrow();
      assert.deepEqual(joined, { name: "botnet-a", score: 0.8 });
      // deleting the incident cascades to sessions and attacks, and detaches the anomaly event
      await deleteIncident(store, incident.id);
      const left = await store.db.selectFrom("attacks").select("id").execute();
      assert.equal(left.length, 0);
      const ev = await store.db.selectFrom("anomaly_events").select("incident_id").executeTakeFirstOrThrow();
      assert.equal(ev.incident_id, null);
      const n = await store.db
        .selectFrom("sessions")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirst();
      assert.equal(Number(n?.n), 0);
    });

    test("key registry: fingerprints only, several keys, wrong passphrase refused", async () => {
      const first = (await listKeys(store))[0];
      const second = await addKey(store, otherConfig, "second");
      const keys = await listKeys(store);
      assert.equal(keys.length, 2);
      for (const k of keys) {
        assert.match(k.fingerprint, /^[0-9a-f]{32}$/);
        assert.ok(!JSON.stringify(k).includes("correct horse"));
      }
      // each passphrase opens its own key, and the current key follows the passphrase
      assert.equal((await currentKey(store, config)).key.id, first.id);
      assert.equal((await currentKey(store, otherConfig)).key.id, second.id);
      const cipher = await unlockKey(store, config, first.id);
      assert.equal(cipher.decrypt(cipher.encrypt("192.0.2.7")), "192.0.2.7");
      await assert.rejects(unlockKey(store, otherConfig, first.id), UserError);
      const wrong = parseConfig({ privacy: { passphrase: "typo", scrypt: { N: 1024 } } });
      await assert.rejects(currentKey(store, wrong), /wrong passphrase/);
      assert.equal((await listKeys(store)).length, 2, "a wrong passphrase registers nothing");
      assert.equal(ipHasher(config).hash("10.1.2.3"), ipHasher(config).hash("10.1.2.3"));
    });

    test("a connection the database server ends while idle does not crash the process", async () => {
      if (store.dialect !== "postgres") return;
      await listIncidents(store);
      // what a server restart or an administrator does to the pool's idle connection
      const admin = await openStore(url);
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where datname = current_database() and pid <> pg_backend_pid()`.execute(admin.db);
      await admin.close();
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(Array.isArray(await listIncidents(store)), "the next query opens a new connection");
    });
  });
}
