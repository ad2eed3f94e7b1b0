import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/core/errors.ts";
import { OVERSIZED_LINE } from "../../src/ingest/source.ts";
import {
  COMBINED,
  COMMON,
  compileLogFormat,
  emptyRequest,
  type ParseResult,
  VHOST_COMBINED,
} from "../../src/ingest/weblog/log-format.ts";
import { detectFormat } from "../../src/ingest/weblog/reader.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";
import { daysFromCivil, parseAnyTime, parseClfTime, parseIsoTime } from "../../src/ingest/weblog/time.ts";
import { combined, common, T0, vhostCombined } from "./lines.ts";

const combinedParser = compileLogFormat(COMBINED, "combined");
const commonParser = compileLogFormat(COMMON, "common");
const vhostParser = compileLogFormat(VHOST_COMBINED, "vhost_combined");

function request(result: ParseResult): WebRequest {
  assert.equal(typeof result, "object", `expected a request, got ${String(result)}`);
  return result as WebRequest;
}

/** Epoch seconds of a UTC wall-clock time. */
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

describe("time parsing", () => {
  it("reads CLF times with their zone offset", () => {
    const local = utc(2015, 5, 17, 10, 5, 3);
    assert.equal(parseClfTime("17/May/2015:10:05:03 +0000"), local);
    assert.equal(parseClfTime("17/May/2015:10:05:03 +0200"), local - 7200);
    assert.equal(parseClfTime("17/May/2015:10:05:03 -0530"), local + 5.5 * 3600);
    assert.equal(parseClfTime("17/May/2015:10:05:03 -05:30"), local + 5.5 * 3600);
    assert.equal(parseClfTime("17/May/2015:10:05:03 Z"), local);
    assert.equal(parseClfTime("17/May/2015:10:05:03"), local, "no zone: UTC");
    assert.equal(parseClfTime("01/Jan/1970:00:00:00 +0000"), 0);
    assert.equal(parseClfTime("29/Feb/2016:23:59:59 +0000"), utc(2016, 2, 29, 23, 59, 59));
    assert.equal(parseClfTime("31/Dec/1999:23:00:00 -0100"), utc(2000, 1, 1, 0, 0, 0));
  });

  it("keeps sub-second CLF times", () => {
    assert.equal(parseClfTime("17/May/2015:10:05:03.250 +0200"), utc(2015, 5, 17, 8, 5, 3) + 0.25);
  });

  it("reads CLF time inside a longer string without slicing", () => {
    const s = "[17/May/2015:10:05:03 +0200]";
    assert.equal(parseClfTime(s, 1, s.length - 1), utc(2015, 5, 17, 8, 5, 3));
  });

  it("does not let its per-day cache mix up days", () => {
    const days = ["17/May/2015", "18/May/2015", "17/May/2015", "17/Jun/2015", "17/May/2016"];
    const want = [utc(2015, 5, 17, 1, 2, 3), utc(2015, 5, 18, 1, 2, 3), utc(2015, 5, 17, 1, 2, 3)];
    want.push(utc(2015, 6, 17, 1, 2, 3), utc(2016, 5, 17, 1, 2, 3));
    days.forEach((d, i) => {
      assert.equal(parseClfTime(`${d}:01:02:03 +0000`), want[i]);
    });
    // a bad time right after a cached day is still rejected
    assert.ok(Number.isNaN(parseClfTime("17/May/2016:25:02:03 +0000")));
  });

  it("rejects malformed CLF times", () => {
    for (const bad of [
      "",
      "17/May/2015",
      "17/Foo/2015:10:05:03 +0000",
      "32/May/2015:10:05:03 +0000",
      "00/May/2015:10:05:03 +0000",
      "17/May/2015:24:05:03 +0000",
      "17/May/2015:10:60:03 +0000",
      "17/May/2015:10:05:03 +02",
      "17/May/2015:10:05:03 0200",
      "17/May/2015:10:05:03 +0200 extra",
      "17-May-2015:10:05:03 +0000",
      "xx/May/2015:10:05:03 +0000",
      "17/May/20x5:10:05:03 +0000",
    ])
      assert.ok(Number.isNaN(parseClfTime(bad)), bad);
  });

  it("reads ISO-8601 times with Z, offsets, fractions and a space for T", () => {
    assert.equal(parseIsoTime("2018-04-17T08:12:32.000Z"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17T08:12:32Z"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17T08:12:32"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17T10:12:32+02:00"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17T10:12:32+0200"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17T02:42:32-05:30"), utc(2018, 4, 17, 8, 12, 32));
    assert.equal(parseIsoTime("2018-04-17 08:12:32.5Z"), utc(2018, 4, 17, 8, 12, 32) + 0.5);
    assert.equal(parseIsoTime("2018-04-17T08:12:32,25Z"), utc(2018, 4, 17, 8, 12, 32) + 0.25);
    const micro = parseIsoTime("2018-04-17T08:12:32.123456+00:00");
    assert.ok(Math.abs(micro - (utc(2018, 4, 17, 8, 12, 32) + 0.123456)) < 1e-6);
    for (const bad of [
      "",
      "2018-04-17",
      "2018-13-17T08:12:32Z",
      "2018-04-32T08:12:32Z",
      "2018-04-17X08:12:32Z",
      "2018-04-17T08:12:32+2",
      "2018-04-17T08:12:32 UTC",
      "17/May/2015:10:05:03",
    ])
      assert.ok(Number.isNaN(parseIsoTime(bad)), bad);
  });

  it("parseAnyTime reads CLF, ISO and epoch seconds or milliseconds", () => {
    const t = utc(2015, 5, 17, 10, 5, 3);
    assert.equal(parseAnyTime("17/May/2015:12:05:03 +0200"), t);
    assert.equal(parseAnyTime("2015-05-17T10:05:03Z"), t);
    assert.equal(parseAnyTime(String(t)), t);
    assert.equal(parseAnyTime(`${t}.5`), t + 0.5);
    assert.equal(parseAnyTime(String(t * 1000 + 250)), t + 0.25);
    assert.ok(Number.isNaN(parseAnyTime("yesterday")));
    assert.ok(Number.isNaN(parseAnyTime("")));
  });

  it("daysFromCivil agrees with Date.UTC", () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [2000, 2, 29],
      [1900, 3, 1],
      [2100, 12, 31],
      [2024, 2, 29],
      [1969, 12, 31],
    ])
      assert.equal(daysFromCivil(y, m, d) * 86400, Date.UTC(y, m - 1, d) / 1000);
  });
});

describe("combined, common and vhost_combined", () => {
  it("reads every field of a combined line", () => {
    const line =
      '203.0.113.9 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1&y=2 HTTP/1.0" 200 2326 ' +
      '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"';
    assert.deepEqual(request(combinedParser.parse(line)), {
      ...emptyRequest(),
      time: utc(2000, 10, 10, 20, 55, 36),
      ip: "203.0.113.9",
      method: "GET",
      path: "/apache_pb.gif",
      query: "x=1&y=2",
      protocol: "HTTP/1.0",
      status: 200,
      bytes: 2326,
      referer: "http://www.example.com/start.html",
      userAgent: "Mozilla/4.08 [en] (Win98; I ;Nav)",
    });
  });

  it("reads '-' as no referer, no agent and 0 bytes; an empty query is kept as ''", () => {
    const r = request(
      combinedParser.parse('10.0.0.1 - - [17/May/2015:10:05:03 +0000] "POST /login? HTTP/2.0" 302 - "-" "-"'),
    );
    assert.equal(r.bytes, 0);
    assert.equal(r.referer, null);
    assert.equal(r.userAgent, "");
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/login");
    assert.equal(r.query, "");
    assert.equal(r.protocol, "HTTP/2.0");
    assert.equal(r.status, 302);
  });

  it("reads IPv6 and IPv4-mapped client addresses", () => {
    for (const ip of ["2001:db8::1", "::1", "::ffff:192.0.2.1", "fe80::1:2:3:4"])
      assert.equal(request(combinedParser.parse(combined({ ip, time: T0, path: "/" }))).ip, ip);
  });

  it("reads a common line: no referer, no agent", () => {
    const r = request(commonParser.parse(common({ ip: "192.0.2.7", time: T0, path: "/a/b", bytes: 512 })));
    assert.deepEqual(r, {
      ...emptyRequest(),
      time: T0,
      ip: "192.0.2.7",
      method: "GET",
      path: "/a/b",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 512,
    });
  });

  it("reads vhost_combined: the host first, lower-cased", () => {
    const r = request(
      vhostParser.parse(vhostCombined({ host: "WWW.Example.ORG", ip: "192.0.2.8", time: T0, path: "/" })),
    );
    assert.equal(r.host, "www.example.org");
    assert.equal(r.ip, "192.0.2.8");
    assert.equal(r.time, T0);
    assert.equal(r.userAgent, "Mozilla/5.0 (test)");
  });

  it("honours the zone offset of each line", () => {
    const at = (tz: string) =>
      request(combinedParser.parse(`1.2.3.4 - - [17/May/2015:10:05:03 ${tz}] "GET / HTTP/1.1" 200 1 "-" "-"`))
        .time;
    const local = utc(2015, 5, 17, 10, 5, 3);
    assert.equal(at("+0000"), local);
    assert.equal(at("+0200"), local - 7200);
    assert.equal(at("-0530"), local + 19800);
    assert.equal(at("+0545"), local - 20700);
  });

  it("keeps escaped quotes and backslashes inside quoted fields, as logged", () => {
    const ua = String.raw`Mozilla/5.0 \"quoted\" (x; \\) end\\`;
    const r = request(
      combinedParser.parse(
        `1.2.3.4 - - [17/May/2015:10:05:03 +0000] "GET /q\\"x HTTP/1.1" 200 1 "http://r/\\"a\\"" "${ua}"`,
      ),
    );
    assert.equal(r.userAgent, ua);
    assert.equal(r.path, String.raw`/q\"x`);
    assert.equal(r.referer, String.raw`http://r/\"a\"`);
    // nginx's \x22 escaping is plain text to the parser
    const n = request(
      combinedParser.parse(combined({ ip: "1.2.3.4", time: T0, path: "/", ua: "a\\x22b\\x22c" })),
    );
    assert.equal(n.userAgent, "a\\x22b\\x22c");
  });

  it("keeps HTTP/0.9 requests, garbage requests and TLS handshakes as requests", () => {
    const parse = (req: string, status = 400) =>
      request(
        combinedParser.parse(`198.51.100.3 - - [17/May/2015:10:05:03 +0000] "${req}" ${status} 0 "-" "-"`),
      );
    const http09 = parse("GET /index.html", 200);
    assert.deepEqual(
      [http09.method, http09.path, http09.query, http09.protocol],
      ["GET", "/index.html", null, ""],
    );
    const tls = parse("\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03");
    assert.deepEqual(
      [tls.method, tls.path, tls.protocol],
      ["", "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03", ""],
    );
    assert.equal(tls.status, 400);
    const empty = parse("");
    assert.deepEqual([empty.method, empty.path, empty.protocol], ["", "", ""]);
    const dash = parse("-");
    assert.deepEqual([dash.method, dash.path], ["", "-"]);
    const words = parse("hello there");
    assert.deepEqual([words.method, words.path, words.protocol], ["", "hello there", ""]);
    const spaces = parse("GET /a b c HTTP/1.1", 200);
    assert.deepEqual([spaces.method, spaces.path, spaces.protocol], ["GET", "/a b c", "HTTP/1.1"]);
    const connect = parse("CONNECT example.org:443 HTTP/1.1", 405);
    assert.deepEqual([connect.method, connect.path], ["CONNECT", "example.org:443"]);
    const star = parse("OPTIONS * HTTP/1.1", 200);
    assert.deepEqual([star.method, star.path], ["OPTIONS", "*"]);
  });

  it("gives a reason for bad lines", () => {
    const good = combined({ ip: "1.2.3.4", time: T0, path: "/" });
    assert.equal(typeof combinedParser.parse(good), "object");
    assert.equal(combinedParser.parse(""), "empty");
    assert.equal(combinedParser.parse(good.slice(0, good.length - 5)), "truncated");
    assert.equal(combinedParser.parse(good.slice(0, 40)), "truncated");
    assert.equal(combinedParser.parse(good.replace(" 200 ", " 999 ")), "bad-status");
    assert.equal(combinedParser.parse(good.replace(" 200 ", " 20x ")), "bad-status");
    assert.equal(combinedParser.parse(good.replace(" 200 ", " 2000 ")), "bad-status");
    assert.equal(combinedParser.parse(good.replace("17/May/2015", "17/Mai/2015")), "bad-time");
    assert.equal(combinedParser.parse(good.replace("1.2.3.4", "host.example.org")), "bad-address");
    assert.equal(combinedParser.parse(good.replace("1.2.3.4", "1.2.3")), "bad-address");
    assert.equal(combinedParser.parse(good.replace(" 100 ", " lots ")), "wrong-format");
    assert.equal(
      combinedParser.parse("May 17 10:05:03 web1 sshd[4321]: Accepted publickey for root from 1.2.3.4"),
      "wrong-format",
    );
  });

  it("parses into a reused record, resetting it first", () => {
    const scratch = emptyRequest();
    const a = combinedParser.parse(
      combined({ ip: "1.2.3.4", time: T0, path: "/a", query: "q", referer: "r" }),
      scratch,
    );
    assert.equal(a, scratch);
    assert.equal(scratch.query, "q");
    const b = commonParser.parse(common({ ip: "5.6.7.8", time: T0 + 1, path: "/b" }), scratch);
    assert.equal(b, scratch);
    assert.deepEqual(scratch, {
      ...emptyRequest(),
      time: T0 + 1,
      ip: "5.6.7.8",
      method: "GET",
      path: "/b",
      protocol: "HTTP/1.1",
      status: 200,
      bytes: 100,
    });
  });
});

describe("nginx log_format", () => {
  const format =
    '$host $remote_addr - $remote_user [$time_iso8601] "$request" $status $body_bytes_sent "$http_referer" ' +
    '"$http_user_agent" "$http_x_forwarded_for" rt=$request_time ct="$sent_http_content_type"';
  const parser = compileLogFormat(format);

  it("reads $host, $time_iso8601, $request_time, $http_x_forwarded_for and the content type", () => {
    const line =
      'Shop.Example.org 192.0.2.10 - alice [2015-05-17T12:05:03.125+02:00] "GET /p/1?ref=x HTTP/2.0" 200 5120 "-" ' +
      '"curl/8.0" "203.0.113.1, 10.0.0.2" rt=0.042 ct="text/html; charset=utf-8"';
    assert.equal(parser.name, "log_format");
    assert.deepEqual(request(parser.parse(line)), {
      time: utc(2015, 5, 17, 10, 5, 3) + 0.125,
      ip: "192.0.2.10",
      host: "shop.example.org",
      method: "GET",
      path: "/p/1",
      query: "ref=x",
      protocol: "HTTP/2.0",
      status: 200,
      bytes: 5120,
      referer: null,
      userAgent: "curl/8.0",
      contentType: "text/html; charset=utf-8",
      requestTime: 0.042,
      forwardedFor: "203.0.113.1, 10.0.0.2",
    });
    const dashes = request(
      parser.parse('- 192.0.2.10 - - [2015-05-17T10:05:03Z] "GET / HTTP/1.1" 404 0 "-" "-" "-" rt=- ct="-"'),
    );
    assert.deepEqual(
      [dashes.host, dashes.forwardedFor, dashes.requestTime, dashes.contentType, dashes.time],
      [null, null, null, null, utc(2015, 5, 17, 10, 5, 3)],
    );
  });

  it("reads $msec with its milliseconds and split request variables", () => {
    const p = compileLogFormat(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: nginx's ${name} variable syntax
      "$msec|$remote_addr|$request_method|$uri|$args|$server_protocol|$status|$bytes_sent|${http_user_agent}",
    );
    const r = request(p.parse("1431857103.123|10.1.2.3|HEAD|/x/y.png|a=1|HTTP/1.1|304|0|Wget/1.21"));
    assert.equal(r.time, 1431857103.123);
    assert.deepEqual(
      [r.ip, r.method, r.path, r.query, r.protocol, r.status, r.bytes, r.userAgent],
      ["10.1.2.3", "HEAD", "/x/y.png", "a=1", "HTTP/1.1", 304, 0, "Wget/1.21"],
    );
    assert.equal(request(p.parse("1431857103.123|10.1.2.3|GET|/|-|HTTP/1.1|200|5|-")).query, null);
    assert.equal(p.parse("0|10.1.2.3|GET|/|-|HTTP/1.1|200|5|-"), "bad-time");
    assert.equal(p.parse("soon|10.1.2.3|GET|/|-|HTTP/1.1|200|5|-"), "bad-time");
  });

  it("ignores unknown variables and checks a leading literal", () => {
    const p = compileLogFormat('[$time_local] $remote_addr $upstream_addr $status "$request" $foo');
    const r = request(
      p.parse('[17/May/2015:10:05:03 +0000] 1.2.3.4 10.0.0.9:8080 200 "GET /z HTTP/1.1" whatever'),
    );
    assert.deepEqual([r.time, r.ip, r.status, r.path], [T0, "1.2.3.4", 200, "/z"]);
    assert.equal(p.parse('17/May/2015:10:05:03 +0000] 1.2.3.4 x 200 "GET / HTTP/1.1" y'), "wrong-format");
  });

  it("refuses formats it cannot read with a usage error", () => {
    assert.throws(() => compileLogFormat("no variables here"), UsageError);
    assert.throws(() => compileLogFormat("$remote_addr $status"), /needs \$remote_addr and a time/);
    assert.throws(() => compileLogFormat("[$time_local] $status"), /needs \$remote_addr/);
    assert.throws(() => compileLogFormat("$remote_addr$time_local"), /nothing between them/);
  });
});

describe("format auto-detection", () => {
  const lines = (f: (i: number) => string) => Array.from({ length: 20 }, (_, i) => f(i));
  const spec = (i: number) => ({ ip: `192.0.2.${i + 1}`, time: T0 + i, path: `/p${i}`, host: "a.example" });

  it("picks combined, common and vhost_combined", () => {
    assert.equal(detectFormat(lines((i) => combined(spec(i)))).name, "combined");
    assert.equal(detectFormat(lines((i) => common(spec(i)))).name, "common");
    assert.equal(detectFormat(lines((i) => vhostCombined(spec(i)))).name, "vhost_combined");
  });

  it("picks json for JSON lines", () => {
    const json = lines((i) =>
      JSON.stringify({
        "@timestamp": "2018-04-17T08:12:32.000Z",
        client_ip: `10.0.0.${i}`,
        client_url: "/",
        http_response_code: 200,
      }),
    );
    assert.equal(detectFormat(json).name, "json");
  });

  it("ignores empty and oversized lines and tolerates a minority of bad lines", () => {
    // 5 garbage, 5 empty, 10 good: the empty lines do not count against the sample
    const sample = lines((i) => (i % 4 === 0 ? "garbage line" : i % 4 === 1 ? "" : combined(spec(i))));
    assert.equal(detectFormat(sample).name, "combined");
    const mostlyCombined = [
      ...lines((i) => combined(spec(i))),
      ...Array(15).fill("noise"),
      ...Array(30).fill(OVERSIZED_LINE),
    ];
    assert.equal(detectFormat(mostlyCombined).name, "combined");
  });

  it("throws a clear usage error when nothing is readable", () => {
    assert.throws(
      () => detectFormat(["May 17 10:05:03 web1 sshd[1]: hello", "\u0000\u0001\u0002", "x"]),
      (e: unknown) =>
        e instanceof UsageError &&
        /cannot recognise the log format \(0 of 3 sample lines readable\)/.test(e.message),
    );
    assert.throws(() => detectFormat([]), UsageError);
    assert.throws(() => detectFormat(["", ""]), UsageError);
  });
});
