import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { exportSessions } from "../../src/app/export.ts";
import { currentKey, ipHasher } from "../../src/app/keys.ts";
import { parseConfig } from "../../src/core/config.ts";
import { createIncident } from "../../src/store/incidents.ts";
import { openStore } from "../../src/store/open.ts";
import type { NewSession } from "../../src/store/schema.ts";
import { insertSessions } from "../../src/store/sessions.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-export-"));
const db = join(dir, "botscope.db");
const config = parseConfig({ privacy: { passphrase: "right", scrypt: { N: 1024 } } });
const ips = ["198.51.100.1", "198.51.100.2", "2001:db8::7"];

test("sessions are stored hashed and encrypted, and revealed only with the incident's key", async () => {
  const store = await openStore(db);
  const { key, cipher } = await currentKey(store, config);
  const hasher = ipHasher(config);
  const incident = await createIncident(store, {
    target: "example.org",
    start: 0,
    stop: 60,
    status: "closed",
    origin: "manual",
    key_id: key.id,
  });
  await insertSessions(
    store,
    ips.map(
      (ip, i) =>
        ({
          incident_id: incident.id,
          ip_hash: hasher.hash(ip),
          ip_encrypted: cipher.encrypt(ip),
          session_number: i,
          start_time: i,
          end_time: i + 10,
          requests: 3,
        }) as NewSession,
    ),
  );
  const hidden = await exportSessions(store, config, incident.id, { revealIps: false });
  assert.deepEqual(
    hidden.map((r) => r.ip),
    [null, null, null],
  );
  const shown = await exportSessions(store, config, incident.id, { revealIps: true });
  assert.deepEqual(
    shown.map((r) => r.ip),
    ips,
  );
  const wrong = parseConfig({ privacy: { passphrase: "wrong", scrypt: { N: 1024 } } });
  await assert.rejects(exportSessions(store, wrong, incident.id, { revealIps: true }), /wrong passphrase/);
  await assert.rejects(exportSessions(store, config, 999, { revealIps: false }), /no incident 999/);
  await store.close();
  assert.ok(!readFileSync(db).includes("198.51.100.1"), "no plain IP in the database file");
});

test("CLI export: wrong passphrase is one clear line and writes no file", () => {
  const bin = join(import.meta.dirname, "../../bin/botscope.js");
  const run = (pass: string, out: string) =>
    spawnSync(process.execPath, [bin, "--db", db, "export", "sessions", "1", "--out", out, "--reveal-ips"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, BOTSCOPE_PASSPHRASE: pass },
    });
  const bad = run("wrong", join(dir, "bad.csv"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^botscope: wrong passphrase for key 1/);
  assert.equal(existsSync(join(dir, "bad.csv")), false);
  const good = run("right", join(dir, "good.csv"));
  assert.equal(good.status, 0, good.stderr);
  const csv = readFileSync(join(dir, "good.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, 4);
  assert.ok(csv[0].startsWith("session_id,ip,ip_hash"));
  assert.equal(csv[1].split(",")[1], "198.51.100.1");
});
