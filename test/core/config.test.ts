import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { configSchema, loadConfig, parseConfig, redactConfig } from "../../src/core/config.ts";
import { defaultConfig, startConfig } from "../../src/core/config-defaults.ts";
import { UserError } from "../../src/core/errors.ts";

const dir = () => mkdtempSync(join(tmpdir(), "botscope-config-"));

test("defaults for every option when there is no file", () => {
  const { config, path } = loadConfig(undefined, {}, dir());
  assert.equal(path, undefined);
  assert.equal(config.store.url, "./botscope.db");
  assert.equal(config.web.sessionGapSeconds, 1800);
  assert.equal(config.flows.windowSeconds, 300);
  assert.equal(config.flows.stepSeconds, 150);
  assert.equal(config.anomaly.threshold, 0.95);
  assert.deepEqual(config.privacy.scrypt, { N: 32768, r: 8, p: 1 });
});

test("botscope.yaml in the working directory is found; partial sections keep other defaults", () => {
  const d = dir();
  writeFileSync(join(d, "botscope.yaml"), "web:\n  sessionGapSeconds: 900\nstore:\n  url: /tmp/x.db\n");
  const { config, path } = loadConfig(undefined, {}, d);
  assert.equal(path, join(d, "botscope.yaml"));
  assert.equal(config.web.sessionGapSeconds, 900);
  assert.equal(config.web.sessionKey, "ip");
  assert.equal(config.store.url, "/tmp/x.db");
});

test("errors name the path of the bad option", () => {
  const d = dir();
  const file = join(d, "bad.yaml");
  writeFileSync(file, "web:\n  sessionGapSeconds: -5\n  sessionKey: cookie\nflows:\n  windowSecs: 3\n");
  assert.throws(
    () => loadConfig(file, {}, d),
    (e) =>
      e instanceof UserError &&
      e.message.includes("web.sessionGapSeconds") &&
      e.message.includes("web.sessionKey") &&
      e.message.includes("windowSecs") &&
      e.message.startsWith(file),
  );
  assert.throws(
    () => parseConfig({ privacy: { scrypt: { N: 3000 } } }),
    /privacy\.scrypt\.N: must be a power of two/,
  );
});

test("missing explicit file, invalid YAML and a non-object are clear errors", () => {
  const d = dir();
  assert.throws(() => loadConfig("nope.yaml", {}, d), /config file not found: nope.yaml/);
  writeFileSync(join(d, "broken.yaml"), "web: [unclosed\n");
  assert.throws(() => loadConfig("broken.yaml", {}, d), /not valid YAML/);
  writeFileSync(join(d, "list.yaml"), "- 1\n- 2\n");
  assert.throws(() => loadConfig("list.yaml", {}, d), UserError);
  writeFileSync(join(d, "empty.yaml"), "");
  assert.equal(loadConfig("empty.yaml", {}, d).config.store.url, "./botscope.db");
});

test("environment overrides secrets and the store; config show masks them", () => {
  const config = parseConfig(
    { privacy: { passphrase: "from-file" } },
    {
      BOTSCOPE_PASSPHRASE: "from-env",
      BOTSCOPE_HASH_PASSPHRASE: "hash-env",
      BOTSCOPE_DB: "postgres://u:secret@127.0.0.1/db",
    },
  );
  assert.equal(config.privacy.passphrase, "from-env");
  assert.equal(config.privacy.hashPassphrase, "hash-env");
  assert.equal(config.store.url, "postgres://u:secret@127.0.0.1/db");
  const shown = JSON.stringify(redactConfig(config));
  assert.ok(!shown.includes("from-env") && !shown.includes("hash-env") && !shown.includes("secret"));
  assert.equal(config.privacy.passphrase, "from-env", "redaction works on a copy");
});

test("without a file, the defaults kept apart from the schema are the schema's own (commands start without zod)", async () => {
  assert.deepEqual(defaultConfig(), configSchema.parse({}));
  const env = { BOTSCOPE_DB: "/tmp/env.db", BOTSCOPE_PASSPHRASE: "from env" };
  const d = dir();
  assert.deepEqual(await startConfig(undefined, env, d), loadConfig(undefined, env, d));
  writeFileSync(join(d, "botscope.yaml"), "anomaly:\n  threshold: 0.9\n");
  const withFile = await startConfig(undefined, env, d);
  assert.equal(withFile.config.anomaly.threshold, 0.9);
  assert.equal(withFile.config.store.url, "/tmp/env.db");
  await assert.rejects(startConfig("nope.yaml", {}, d), /config file not found: nope.yaml/);
});
