import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Interner, IntIds } from "../../src/core/interner.ts";
import { BadLines } from "../../src/ingest/bad-lines.ts";
import { COMBINED, compileLogFormat, VHOST_COMBINED } from "../../src/ingest/weblog/log-format.ts";
import { readWebLog } from "../../src/ingest/weblog/reader.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";
import { simulateWeb } from "../../src/simulate/web.ts";
import { type RequestSource, runWebSessions } from "../../src/web/pipeline.ts";
import { emptyFacts, factsOf, RequestTables } from "../../src/web/request-facts.ts";
import type { WebSession } from "../../src/web/sessionizer.ts";

describe("Interner", () => {
  it("gives dense ids, the same for a range and for the whole string, across table growth", () => {
    const t = new Interner();
    const words = Array.from({ length: 5000 }, (_, i) => `agent-${i * 7919}/${"x".repeat(i % 40)}`);
    const ids = words.map((w) => t.id(w));
    assert.deepEqual(ids, [...words.keys()]);
    const text = `[${words.join("][")}]`;
    let at = 1;
    for (let i = 0; i < words.length; i++) {
      assert.equal(t.idOf(text, at, at + words[i].length), i, words[i]);
      at += words[i].length + 2;
    }
    assert.equal(t.size, 5000);
    assert.equal(t.strings[1234], words[1234]);
  });

  it("tells apart strings of equal hash and keeps the empty string", () => {
    const t = new Interner();
    assert.equal(t.id(""), 0);
    assert.equal(t.id("a"), 1);
    assert.equal(t.idOf("xay", 1, 2), 1);
    assert.equal(t.idOf("xay", 1, 1), 0);
  });
});

describe("IntIds", () => {
  it("maps 32-bit keys, negatives included, across growth", () => {
    const m = new IntIds();
    for (let i = 0; i < 20000; i++) m.set((i * 2654435761) | 0, i);
    for (let i = 0; i < 20000; i++) assert.equal(m.get((i * 2654435761) | 0), i);
    assert.equal(m.get(12345), -1);
    m.set(-1, 7);
    m.set(-1, 8);
    assert.equal(m.get(-1), 8);
  });
});

describe("RequestTables.ipOf", () => {
  it("gives one id per address string, IPv4 by value only in its canonical form", () => {
    const t = new RequestTables();
    const a = t.ipOf(" 192.0.2.1 ", 1, 10);
    assert.equal(t.ipOf("192.0.2.1", 0, 9), a);
    assert.notEqual(t.ipOf("192.0.2.01", 0, 10), a, "a different string is a different client key");
    assert.equal(t.ips.names[t.ipOf("192.0.2.01", 0, 10)], "192.0.2.01");
    const v6 = t.ipOf("2001:db8::1", 0, 11);
    assert.equal(t.ips.names[v6], "2001:db8::1");
    assert.equal(t.ipOf("10.0.0.255", 0, 10), t.ipOf("10.0.0.255", 0, 10));
    assert.equal(
      t.ipOf("300.1.1.1", 0, 9, () => false),
      -1,
      "rejected by the validator",
    );
    assert.equal(t.ipOf("0.0.0.0", 0, 7), t.ipOf("0.0.0.0", 0, 7));
  });
});

/** Every field of facts read straight from the text equals the facts of the parsed WebRequest. */
function assertSameFacts(format: string, lines: string[]): number {
  const p = compileLogFormat(format);
  const direct = new RequestTables();
  const viaRequest = new RequestTables();
  let good = 0;
  for (const line of lines) {
    const text = `##${line}##`; // a range inside a larger string, as the reader hands it
    const a = p.factsRange!(text, 2, text.length - 2, emptyFacts(), direct);
    const r = p.parse(line);
    if (typeof r === "string") {
      assert.equal(a, r, line);
      continue;
    }
    assert.notEqual(typeof a, "string", line);
    const b = factsOf(r, viaRequest, emptyFacts());
    const f = a as typeof b;
    // ids differ between tables only if first sightings differ: compare what they stand for
    assert.equal(direct.ips.names[f.ip], viaRequest.ips.names[b.ip], line);
    assert.equal(direct.hostName(f.host), viaRequest.hostName(b.host), line);
    assert.equal(direct.userAgents.strings[f.userAgent], viaRequest.userAgents.strings[b.userAgent], line);
    assert.deepEqual({ ...f, ip: 0, host: 0, userAgent: 0 }, { ...b, ip: 0, host: 0, userAgent: 0 }, line);
    good++;
  }
  return good;
}

describe("facts read from the log text", () => {
  const { lines } = simulateWeb({ seed: 7, hours: 2, vhost: true });
  const damaged = [
    'example.org 198.51.100.7 - - [02/Mar/2026:10:00:00 +0000] "GET /a/b.css?v=1 HTTP/1.1" 200 - "-" "-"',
    'example.org 198.51.100.7 - - [02/Mar/2026:10:00:00 +0000] "\\x16\\x03\\x01" 400 0 "-" "-"',
    'EXAMPLE.org 198.51.100.8 - - [02/Mar/2026:10:00:01 +0000] "POST /login HTTP/1.0" 302 17 "-" "curl/8"',
    'example.org 198.51.100.8 - - [02/Mar/2026:10:00:01 +0000] "HEAD / HTTP/1.1" 599 17 "-" "curl/8"',
    'example.org 198.51.100.8 - - [02/Mar/2026:10:00:01 +0000] "GET /" 200 17 "-" "x"',
    'example.org 198.51.100.9 - - [02/Mar/2026:10:00:01 +0000] "GET /x HTTP/1.1" 200 17 "-" "a \\" b"',
    'example.org 198.51.100.9 - - [02/Mar/2026:10:00:01 +0000] "GET /x HTTP/1.1" 200 17 "-"',
    'example.org 1.2.3 - - [02/Mar/2026:10:00:01 +0000] "GET /x HTTP/1.1" 200 17 "-" "a"',
    'example.org 2001:db8::2 - - [02/Mar/2026:10:00:01 +0200] "GET /x HTTP/1.1" 200 17 "-" "a"',
    'example.org 198.51.100.9 - - [02/Mar/2026:25:00:01 +0000] "GET /x HTTP/1.1" 200 17 "-" "a"',
    "",
  ];

  it("vhost_combined: the same facts as the parsed request, good and bad lines alike", () => {
    const good = assertSameFacts(VHOST_COMBINED, [...lines, ...damaged]);
    assert.ok(good >= lines.length);
  });

  it("combined: the same, on the same lines without their site", () => {
    const plain = [...lines, ...damaged].map((l) => l.slice(l.indexOf(" ") + 1));
    assert.ok(assertSameFacts(COMBINED, plain) >= lines.length);
  });

  it("a custom log_format with $request_uri split by $args, $http_host and a content type", () => {
    const format =
      '$remote_addr [$time_iso8601] $request_method $uri "$args" $status $bytes_sent $http_host "$sent_http_content_type" "$http_user_agent"';
    const custom = [
      '192.0.2.1 [2026-03-02T10:00:00+02:00] GET /a/b/ "x=1&y=2" 200 10 Example.ORG "text/html; charset=utf-8" "Mozilla/5.0"',
      '192.0.2.1 [2026-03-02T10:00:01+02:00] GET /a/b/c.png "-" 200 10 example.org "image/png" "Mozilla/5.0"',
      '192.0.2.2 [2026-03-02T10:00:02Z] POST /login "" 401 0 - "-" "python-requests/2.31"',
      '192.0.2.2 [2026-03-02T10:00:03Z] GET /app.js "-" 200 10 - "application/javascript" "python-requests/2.31"',
      '192.0.2.2 [not a time] GET /app.js "-" 200 10 - "-" "x"',
    ];
    assert.equal(assertSameFacts(format, custom), 4);
  });
});

describe("sessions from a file and from WebRequests", () => {
  it("are the same, with the reorder buffer and without it, by IP and by IP and host", async () => {
    const { lines } = simulateWeb({ seed: 11, hours: 3, vhost: true });
    // the site spelled in other cases on some lines: still one site (WebRequest readers lower-case it)
    const spelled = lines.map((l, i) => {
      const site = l.slice(0, l.indexOf(" "));
      return i % 3 === 1
        ? site.toUpperCase() + l.slice(site.length)
        : i % 3 === 2
          ? l[0].toUpperCase() + l.slice(1)
          : l;
    });
    const dir = mkdtempSync(join(tmpdir(), "botscope-facts-"));
    const file = join(dir, "access.log");
    writeFileSync(file, `${spelled.join("\n")}\n`);
    const requests: WebRequest[] = [];
    await readWebLog([file], { format: "vhost_combined" }, (r) => requests.push(r));
    const source: RequestSource = async (onRequest, afterBatch) => {
      for (let i = 0; i < requests.length; i++) {
        onRequest(requests[i]);
        if (i % 1000 === 999) await afterBatch();
      }
      return {
        format: "vhost_combined",
        lines: requests.length,
        requests: requests.length,
        bad: new BadLines(),
      };
    };
    for (const lateness of [0, 60]) {
      for (const key of ["ip", "ip+host"] as const) {
        const opts = {
          gapSeconds: 1800,
          key,
          compat: false,
          lateness,
          weblog: { format: "vhost_combined" as const },
        };
        const fromFile: [string, WebSession][] = [];
        const fromSource: [string, WebSession][] = [];
        const a = await runWebSessions([file], opts, (t, s) => fromFile.push([t, s]));
        const b = await runWebSessions(source, opts, (t, s) => fromSource.push([t, s]));
        assert.ok(fromFile.length > 500);
        // sessions close when a batch ends, and the two sources cut batches differently: compare sorted
        const order = (x: [string, WebSession][]) =>
          x.sort(([t, a], [u, b]) => t.localeCompare(u) || a.ip.localeCompare(b.ip) || a.start - b.start);
        assert.deepEqual(order(fromFile), order(fromSource), `${key}, lateness ${lateness}`);
        assert.deepEqual([...a.targets.keys()].sort(), ["news.example.net", "shop.example.org"]);
        assert.deepEqual([...a.targets.values()], [...b.targets.values()]);
      }
    }
  });
});
