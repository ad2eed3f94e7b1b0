import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { dailyIndices, readElasticsearch } from "../../src/ingest/weblog/elasticsearch.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";

/**
 * Elasticsearch cannot run here, so a loopback HTTP server answers with response bodies in the exact
 * shapes Elasticsearch 8 returns for _pit, _search (with pit_id and sort values) and DELETE _pit, and
 * records what the client asked.
 */
const T0 = Date.parse("2018-04-17T23:59:58Z");
const docs = [0, 1, 2, 3, 4].map((i) => ({
  "@timestamp": new Date(T0 + i * 1000).toISOString(),
  client_ip: `203.0.113.${10 + (i % 2)}`,
  client_request_host: i === 3 ? "www.testhost.net" : "testhost.net",
  client_request_method: i === 4 ? "POST" : "GET",
  client_url: i % 2 ? "/wp-content/img/logo.png" : "/index.php",
  querystring: i === 2 ? "?p=1" : "",
  http_response_code: i === 1 ? 404 : 200,
  http_request_version: "HTTP/1.1",
  reply_length_bytes: 1000 + i,
  content_type: i % 2 ? "image/png" : "text/html; charset=UTF-8",
  client_ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/65.0.3325.181 Safari/537.36",
}));
// one document the reader must count as bad, not lose the rest over
const broken = {
  "@timestamp": "yesterday",
  client_ip: "203.0.113.99",
  client_url: "/",
  http_response_code: 200,
};
const all = [...docs.slice(0, 2), broken, ...docs.slice(2)];

const requests: { method: string; url: string; body: Record<string, unknown> | null }[] = [];
let server: Server;
let url: string;

async function body(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  let text = "";
  for await (const c of req) text += c;
  return text ? JSON.parse(text) : null;
}

before(async () => {
  server = createServer(async (req, res) => {
    const b = await body(req);
    requests.push({ method: req.method ?? "", url: req.url ?? "", body: b });
    res.setHeader("content-type", "application/json");
    res.setHeader("x-elastic-product", "Elasticsearch");
    const path = (req.url ?? "").split("?")[0];
    if (req.method === "POST" && path.endsWith("/_pit")) {
      res.end(
        JSON.stringify({
          id: "46ToAwMDaWR5BXV1aWQy",
          _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        }),
      );
    } else if (req.method === "POST" && path === "/_search") {
      const size = Number(b?.size);
      const afterSort = (b?.search_after as number[] | undefined)?.[1] ?? -1;
      const page = all
        .map((d, i) => ({ d, i }))
        .filter(({ i }) => i > afterSort)
        .slice(0, size);
      res.end(
        JSON.stringify({
          pit_id: "46ToAwMDaWR5BXV1aWQy",
          took: 3,
          timed_out: false,
          _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
          hits: {
            max_score: null,
            hits: page.map(({ d, i }) => ({
              _index: `deflect.log-2018.04.${i < 2 ? 17 : 18}`,
              _id: `doc${i}`,
              _score: null,
              _source: d,
              sort: [T0 + i * 1000, i],
            })),
          },
        }),
      );
    } else if (req.method === "DELETE" && path === "/_pit") {
      res.end(JSON.stringify({ succeeded: true, num_freed: 1 }));
    } else {
      res.statusCode = 404;
      res.end(
        JSON.stringify({
          error: { type: "index_not_found_exception", reason: "no such index" },
          status: 404,
        }),
      );
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("daily Deflect index names cover the range", () => {
  assert.deepEqual(dailyIndices("deflect.log-", T0 / 1000 - 3600, T0 / 1000 + 3600), [
    "deflect.log-2018.04.17",
    "deflect.log-2018.04.18",
  ]);
});

test("pages through a point in time with search_after and reads every document", async () => {
  requests.length = 0;
  const got: WebRequest[] = [];
  const stats = await readElasticsearch(
    { url, target: "TestHost.net", from: T0 / 1000 - 60, to: T0 / 1000 + 60, pageSize: 2 },
    (r) => got.push({ ...r }),
  );
  assert.equal(stats.requests, 5);
  assert.equal(stats.lines, 6);
  assert.equal(stats.bad.toJSON().byReason["bad-time"], 1);
  assert.deepEqual(
    got.map((r) => [r.ip, r.method, r.path, r.query, r.status, r.bytes]),
    [
      ["203.0.113.10", "GET", "/index.php", null, 200, 1000],
      ["203.0.113.11", "GET", "/wp-content/img/logo.png", null, 404, 1001],
      ["203.0.113.10", "GET", "/index.php", "p=1", 200, 1002],
      ["203.0.113.11", "GET", "/wp-content/img/logo.png", null, 200, 1003],
      ["203.0.113.10", "POST", "/index.php", null, 200, 1004],
    ],
  );
  assert.equal(got[0].time, T0 / 1000);
  assert.equal(got[0].contentType, "text/html; charset=UTF-8");
  assert.equal(got[3].host, "www.testhost.net");
  // what the client asked: PIT on the daily indices, sorted pages chained by search_after, PIT closed
  assert.match(requests[0].url, /^\/deflect\.log-2018\.04\.17%2Cdeflect\.log-2018\.04\.18\/_pit\?/);
  const searches = requests.filter((r) => r.url.startsWith("/_search"));
  assert.equal(searches.length, 4, "three full pages, then an empty one ends the scan");
  assert.equal(searches[0].body?.search_after, undefined);
  assert.deepEqual(searches[1].body?.search_after, [T0 + 1000, 1]);
  const filter = (searches[0].body!.query as { bool: { filter: Record<string, unknown>[] } }).bool.filter;
  assert.deepEqual(filter[1], { terms: { client_request_host: ["testhost.net", "www.testhost.net"] } });
  assert.equal(requests[requests.length - 1].method, "DELETE");
});

test("an unreachable server is a clear error", async () => {
  await assert.rejects(
    readElasticsearch({ url: "http://127.0.0.1:9", target: "x.org", from: 0, to: 60 }, () => {}),
    /Elasticsearch http:\/\/127\.0\.0\.1:9: cannot connect/,
  );
});

test("incidents create --source es stores the sessions of the target", async () => {
  const dir = mkdtempSync(join(tmpdir(), "botscope-es-"));
  // asynchronous: the server answering lives in this process
  const r = await promisify(execFile)(
    process.execPath,
    [
      join(import.meta.dirname, "../../bin/botscope.js"),
      "--db",
      join(dir, "b.db"),
      "incidents",
      "create",
      "--target",
      "testhost.net",
      "--from",
      new Date(T0 - 60_000).toISOString(),
      "--to",
      new Date(T0 + 60_000).toISOString(),
      "--source",
      "es",
      "--es-url",
      url,
      "--no-geo",
      "--json",
    ],
    { encoding: "utf8", env: { PATH: process.env.PATH, BOTSCOPE_PASSPHRASE: "p" } },
  );
  const out = JSON.parse(r.stdout);
  assert.equal(out.incident.sessions, 2);
  assert.equal(out.summary.requests, 5);
  assert.equal(out.summary.badLines.total, 1);
});
