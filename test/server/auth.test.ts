import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/core/errors.ts";
import { buildServer } from "../../src/server/app.ts";
import { isLoopback, resolveToken, tokenMatches } from "../../src/server/auth.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { testConfig } from "./seed.ts";

/** Who may talk to the server: loopback without a token, anything else only with one. */
let dir: string;
let store: Store;
const config = testConfig();
const TOKEN = "s3cret-token-for-tests";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-auth-"));
  store = await openStore(join(dir, "botscope.db"));
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("token rules", () => {
  test("loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])
      assert.ok(isLoopback(h), h);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "128.0.0.1"])
      assert.ok(!isLoopback(h), h);
  });

  test("anything but loopback needs a token: refused at start without one", async () => {
    assert.throws(() => resolveToken("0.0.0.0", undefined, {}), UsageError);
    assert.throws(() => resolveToken("192.168.1.10", "", {}), UsageError);
    await assert.rejects(
      buildServer({ store, config, host: "0.0.0.0", env: {} }),
      /not loopback: give an access token/,
    );
    assert.equal(resolveToken("0.0.0.0", TOKEN, {}), TOKEN);
    assert.equal(resolveToken("0.0.0.0", undefined, { BOTSCOPE_SERVE_TOKEN: TOKEN }), TOKEN);
    assert.equal(resolveToken("127.0.0.1", undefined, {}), undefined);
    assert.throws(() => resolveToken("127.0.0.1", "short", {}), /at least 8/);
  });

  test("constant-time comparison gives the right answers", () => {
    assert.ok(tokenMatches(TOKEN, TOKEN));
    assert.ok(!tokenMatches(TOKEN, `${TOKEN}x`));
    assert.ok(!tokenMatches(TOKEN, ""));
    assert.ok(!tokenMatches(TOKEN, undefined));
  });

  test("with a token: 401 without it or with a wrong one; Bearer and ?token= pass; the UI needs none", async () => {
    const app = await buildServer({
      store,
      config,
      host: "0.0.0.0",
      token: TOKEN,
      uiDir: join(dir, "no-ui"),
      env: {},
    });
    const none = await app.inject({ url: "/api/health" });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, "unauthorized");
    assert.match(String(none.headers["www-authenticate"]), /Bearer/);
    const wrong = await app.inject({
      url: "/api/incidents",
      headers: { authorization: "Bearer nope-nope-nope" },
    });
    assert.equal(wrong.statusCode, 401);
    const basic = await app.inject({ url: "/api/incidents", headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(basic.statusCode, 401);
    const post = await app.inject({
      method: "POST",
      url: "/api/incidents",
      payload: { target: "x.example" },
    });
    assert.equal(post.statusCode, 401, "no input is looked at before the token");
    const bearer = await app.inject({ url: "/api/health", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.statusCode, 200);
    assert.equal(bearer.json().auth, true);
    const query = await app.inject({ url: `/api/incidents?token=${TOKEN}` });
    assert.equal(query.statusCode, 200);
    assert.deepEqual(query.json(), []);
    const page = await app.inject({ url: "/" });
    assert.equal(page.statusCode, 200);
    const unknown = await app.inject({ url: "/api/secret" });
    assert.equal(unknown.statusCode, 401, "unknown API paths say nothing without the token");
    // the router decodes percent-escapes: an encoded path to the API needs the token too
    for (const url of ["/%61pi/incidents", "/%61%70%69/health", "/./api/incidents", "/%E0%A4%A/x"]) {
      const sneaky = await app.inject({ url });
      assert.ok([400, 401, 404].includes(sneaky.statusCode), `${url}: ${sneaky.statusCode}`);
      assert.doesNotMatch(sneaky.body, /"ok":true|^\[/, url);
    }
    assert.equal((await app.inject({ url: "/%61pi/incidents" })).statusCode, 401);
    await app.close();
  });

  test("--reveal-ips needs the passphrase", async () => {
    const bare = structuredClone(config);
    bare.privacy.passphrase = undefined;
    await assert.rejects(
      buildServer({ store, config: bare, revealIps: true, env: {} }),
      /needs the passphrase/,
    );
  });
});

test("listens for real on 127.0.0.1 (port chosen by the system)", async () => {
  const app = await buildServer({ store, config, env: {} });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${address}/api/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { store: string }).store, "sqlite");
    const bad = await fetch(`${address}/api/incidents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /JSON/);
  } finally {
    await app.close();
  }
});
