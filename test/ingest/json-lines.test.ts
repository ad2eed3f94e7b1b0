import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/core/errors.ts";
import {
  DEFAULT_JSON_MAPPING,
  jsonLineParser,
  parseJsonMapping,
} from "../../src/ingest/weblog/json-lines.ts";
import { emptyRequest, type ParseResult } from "../../src/ingest/weblog/log-format.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";

const parser = jsonLineParser();
const ts = Date.UTC(2018, 3, 17, 8, 12, 32) / 1000;

function request(result: ParseResult): WebRequest {
  assert.equal(typeof result, "object", `expected a request, got ${String(result)}`);
  return result as WebRequest;
}

/** A Deflect/Elasticsearch document with the field names of the real index (values made up here). */
function deflectDoc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "@timestamp": "2018-04-17T08:12:32.000Z",
    cache_result: "TCP_MISS",
    client_ip: "198.51.100.23",
    client_request_host: "Example.ORG",
    client_request_method: "GET",
    client_ua: "Mozilla/5.0 (X11; Linux x86_64) Test/1.0",
    client_url: "/wp-content/themes/a/style.css",
    client_user: "-",
    content_type: "text/css",
    host: "edge7.deflect.example",
    http_request_scheme: "https",
    http_request_version: "HTTP/1.1",
    http_response_code: 200,
    querystring: "?ver=4.9.5",
    reply_length_bytes: 2825,
    ts_timestamp: "17/Apr/2018:08:12:32 -0000",
    ...over,
  };
}

describe("JSON lines: Deflect / Elasticsearch documents", () => {
  it("reads every field of a bare document (JSON escapes such as \\/ undone)", () => {
    const line = JSON.stringify(deflectDoc()).replaceAll("/", "\\/");
    assert.ok(line.includes("\\/wp-content"));
    assert.deepEqual(request(parser.parse(line)), {
      time: ts,
      ip: "198.51.100.23",
      host: "example.org",
      method: "GET",
      path: "/wp-content/themes/a/style.css",
      query: "ver=4.9.5",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 2825,
      referer: null,
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Test/1.0",
      contentType: "text/css",
      requestTime: null,
      forwardedFor: null,
    });
  });

  it("reads an Elasticsearch hit wrapped in _source", () => {
    const hit = {
      _index: "deflect.log-2018.04.17",
      _type: "deflect_access",
      _id: "AWLTx",
      _source: deflectDoc(),
    };
    const r = request(parser.parse(JSON.stringify(hit)));
    assert.equal(r.ip, "198.51.100.23");
    assert.equal(r.time, ts);
    assert.equal(r.host, "example.org");
  });

  it("accepts strings for numbers, a query inside the url, and missing optional fields", () => {
    const r = request(
      parser.parse(
        JSON.stringify(
          deflectDoc({
            http_response_code: "404",
            reply_length_bytes: undefined,
            client_url: "/search?q=a",
            querystring: "?ignored=1",
            content_type: "text/html; charset=utf-8",
            client_request_host: undefined,
            host: undefined,
          }),
        ),
      ),
    );
    assert.equal(r.status, 404);
    assert.equal(r.bytes, 0);
    assert.equal(r.path, "/search");
    assert.equal(r.query, "q=a");
    assert.equal(r.contentType, "text/html; charset=utf-8");
    assert.equal(r.host, null);
  });

  it("takes epoch seconds and milliseconds, numbers or strings", () => {
    for (const t of [
      ts,
      ts * 1000,
      String(ts),
      String(ts * 1000),
      "17/Apr/2018:10:12:32 +0200",
      "2018-04-17T10:12:32+02:00",
    ])
      assert.equal(
        request(parser.parse(JSON.stringify(deflectDoc({ "@timestamp": t })))).time,
        ts,
        String(t),
      );
    assert.equal(
      request(parser.parse(JSON.stringify(deflectDoc({ "@timestamp": "2018-04-17T08:12:32.250Z" })))).time,
      ts + 0.25,
    );
  });

  it("reads common nginx JSON field names and a request line", () => {
    const doc = {
      time_iso8601: "2018-04-17T10:12:32+02:00",
      remote_addr: "2001:db8::5",
      http_host: "Shop.example",
      request: "POST /cart?add=3 HTTP/2.0",
      status: 201,
      body_bytes_sent: "77",
      http_referer: "https://shop.example/",
      http_user_agent: "curl/8.1",
      request_time: "0.125",
      http_x_forwarded_for: "203.0.113.4",
    };
    assert.deepEqual(request(parser.parse(JSON.stringify(doc))), {
      time: ts,
      ip: "2001:db8::5",
      host: "shop.example",
      method: "POST",
      path: "/cart",
      query: "add=3",
      protocol: "HTTP/2.0",
      status: 201,
      bytes: 77,
      referer: "https://shop.example/",
      userAgent: "curl/8.1",
      contentType: null,
      requestTime: 0.125,
      forwardedFor: "203.0.113.4",
    });
  });

  it("reads nested (Caddy-style) documents through dotted paths", () => {
    const doc = {
      ts: ts + 0.5,
      request: {
        remote_ip: "192.0.2.44",
        host: "caddy.example",
        method: "GET",
        uri: "/a/b?c=d",
        proto: "HTTP/2.0",
        headers: { "User-Agent": ["Go-http-client/2.0"] },
      },
      status: 200,
      size: 12,
      duration: 0.002,
    };
    const r = request(parser.parse(JSON.stringify(doc)));
    assert.deepEqual(
      [
        r.time,
        r.ip,
        r.host,
        r.method,
        r.path,
        r.query,
        r.protocol,
        r.status,
        r.bytes,
        r.userAgent,
        r.requestTime,
      ],
      [
        ts + 0.5,
        "192.0.2.44",
        "caddy.example",
        "GET",
        "/a/b",
        "c=d",
        "HTTP/2.0",
        200,
        12,
        "Go-http-client/2.0",
        0.002,
      ],
    );
  });

  it("reads Traefik's JSON access log: the client IP without its port", () => {
    const doc = {
      ClientAddr: "192.0.2.80:51234",
      ClientHost: "192.0.2.80",
      ClientPort: "51234",
      DownstreamContentSize: 615,
      DownstreamStatus: 200,
      RequestHost: "app.example",
      RequestMethod: "GET",
      RequestPath: "/api/x?y=1",
      RequestProtocol: "HTTP/1.1",
      time: "2018-04-17T10:12:32+02:00",
    };
    const r = request(parser.parse(JSON.stringify(doc)));
    assert.deepEqual(
      [r.ip, r.time, r.host, r.method, r.path, r.query, r.protocol, r.status, r.bytes],
      ["192.0.2.80", ts, "app.example", "GET", "/api/x", "y=1", "HTTP/1.1", 200, 615],
    );
  });

  it("uses a field mapping instead of the defaults for the fields it names", () => {
    const mapping = parseJsonMapping("time=ts, ip=client.addr,url=u");
    assert.deepEqual(mapping, { time: ["ts"], ip: ["client.addr"], url: ["u"] });
    assert.deepEqual(parseJsonMapping("ip=a,ip=b"), { ip: ["a", "b"] });
    const p = jsonLineParser(mapping);
    const doc = { ts: "2018-04-17T08:12:32Z", client: { addr: "10.9.8.7" }, u: "/x?y=1", status: 200 };
    const r = request(p.parse(JSON.stringify(doc)));
    assert.deepEqual([r.time, r.ip, r.path, r.query, r.method], [ts, "10.9.8.7", "/x", "y=1", "GET"]);
    // the default keys for a mapped field are no longer tried
    assert.equal(
      p.parse(JSON.stringify({ ...doc, client: undefined, client_ip: "10.0.0.1" })),
      "bad-address",
    );
    // fields not in the mapping keep their defaults
    assert.equal(request(p.parse(JSON.stringify({ ...doc, client_ua: "ua" }))).userAgent, "ua");
  });

  it("refuses a mapping with an unknown field or without a key", () => {
    for (const bad of ["bogus=x", "time", "time=", "=ts", "toString=x", "constructor=x"])
      assert.throws(() => parseJsonMapping(bad), UsageError, bad);
    assert.ok(Object.keys(DEFAULT_JSON_MAPPING).includes("userAgent"));
  });

  it("gives a reason for every bad line", () => {
    const good = JSON.stringify(deflectDoc());
    assert.equal(parser.parse(""), "empty");
    assert.equal(parser.parse("not json"), "wrong-format");
    assert.equal(parser.parse('[{"client_ip":"1.2.3.4"}]'), "wrong-format");
    assert.equal(parser.parse(good.slice(0, 60)), "truncated");
    assert.equal(parser.parse('{"client_ip": "1.2.3.4",}'), "bad-json");
    assert.equal(parser.parse("{}"), "bad-address");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ client_ip: "" }))), "bad-address");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ "@timestamp": undefined }))), "bad-time");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ "@timestamp": "yesterday" }))), "bad-time");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ http_response_code: 0 }))), "bad-status");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ http_response_code: "OK" }))), "bad-status");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ http_response_code: undefined }))), "bad-status");
    assert.equal(parser.parse(JSON.stringify(deflectDoc({ client_url: undefined }))), "wrong-format");
  });

  it("parses into a reused record, resetting it first", () => {
    const scratch = emptyRequest();
    request(parser.parse(JSON.stringify(deflectDoc({ http_x_forwarded_for: "1.1.1.1" })), scratch));
    assert.equal(scratch.forwardedFor, "1.1.1.1");
    const r = parser.parse(
      JSON.stringify({ ...deflectDoc(), content_type: undefined, querystring: undefined }),
      scratch,
    );
    assert.equal(r, scratch);
    assert.equal(scratch.forwardedFor, null);
    assert.equal(scratch.contentType, null);
    assert.equal(scratch.query, null);
  });
});
