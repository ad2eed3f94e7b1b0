import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { emptyRequest } from "../../src/ingest/weblog/log-format.ts";
import type { WebRequest } from "../../src/ingest/weblog/record.ts";
import { SESSION_FEATURES } from "../../src/store/schema.ts";
import type { Features } from "../../src/web/features.ts";
import { RequestType, requestType, typeFromPath } from "../../src/web/request-type.ts";
import { Sessionizer, type SessionizerOptions, type WebSession } from "../../src/web/sessionizer.ts";

const T = 1_431_857_103;

interface Req {
  ip?: string;
  t: number;
  path: string;
  query?: string;
  method?: string;
  status?: number;
  bytes?: number;
  ua?: string;
  ct?: string;
}

function req(r: Req): WebRequest {
  return {
    ...emptyRequest(),
    ip: r.ip ?? "10.0.0.1",
    time: T + r.t,
    path: r.path,
    query: r.query ?? null,
    method: r.method ?? "GET",
    protocol: "HTTP/1.1",
    status: r.status ?? 200,
    bytes: r.bytes ?? 0,
    userAgent: r.ua ?? "UA1",
    contentType: r.ct ?? null,
  };
}

/** The sessions of some requests pushed in order, then flushed, by IP. */
function sessions(requests: Req[], opts: Partial<SessionizerOptions> = {}): WebSession[] {
  const out: WebSession[] = [];
  const s = new Sessionizer({ gapSeconds: 1800, key: "ip", compat: false, ...opts }, (x) => out.push(x));
  for (const r of requests) s.push(req(r));
  s.flush();
  return out;
}

function only(requests: Req[], opts: Partial<SessionizerOptions> = {}): WebSession {
  const all = sessions(requests, opts);
  assert.equal(all.length, 1);
  return all[0];
}

/** Every feature equal within 1e-12 (the expected values are exact fractions and roots). */
function assertFeatures(got: Features, want: Features): void {
  assert.deepEqual(Object.keys(got).sort(), [...SESSION_FEATURES].sort(), "exactly the stored features");
  for (const k of SESSION_FEATURES)
    assert.ok(Math.abs(got[k] - want[k]) < 1e-12, `${k}: got ${got[k]}, want ${want[k]}`);
}

/** Six requests of one visitor: two user agents, HTML/image/CSS, a 404, a 500, a POST and a HEAD. */
const visit: Req[] = [
  { t: 0, path: "/index.html", bytes: 1000 },
  { t: 10, path: "/img/a.png", bytes: 500 },
  { t: 30, path: "/blog/post", status: 404, bytes: 200, ua: "UA2" },
  { t: 60, path: "/blog/other", query: "x=1", bytes: 300 },
  { t: 100, path: "/img/b.jpg", method: "POST", status: 500, bytes: 0 },
  { t: 160, path: "/style.css", query: "v=2", method: "HEAD", bytes: 100 },
];
// gaps 10, 20, 30, 40, 60: mean 32, squared deviations 484 + 144 + 4 + 64 + 784 = 1480
const visitFeatures: Features = {
  request_interval: 160 / 5,
  ua_change_rate: 5 / 6,
  html2image_ratio: 2 / 3, // images / html
  variance_request_interval: Math.sqrt(1480 / 4), // sample std of the gaps
  payload_average: 2100 / 6,
  error_rate: 1 / 6,
  request_depth: 5 / 3, // html depths 1, 2, 2
  request_depth_std: Math.sqrt(2 / 9),
  session_length: 160,
  percentage_cons_requests: 1 / 3, // /, /blog/, /blog/: one of three in the previous one's folder
  server_error_rate: 1 / 6,
  head_share: 1 / 6,
  post_share: 1 / 6,
  distinct_path_ratio: 6 / 6,
  distinct_query_ratio: 2 / 6,
  path_depth_mean: 10 / 6, // depths 1, 2, 2, 2, 2, 1
  path_depth_var: 18 / 6 - (10 / 6) ** 2,
  css_html_ratio: 1 / 3,
  js_html_ratio: 0,
  image_html_ratio: 2 / 3,
  ua_count: 2,
};

describe("session features (corrected definitions)", () => {
  it("computes every feature of a mixed six-request session", () => {
    const s = only(visit);
    assert.deepEqual(
      [s.ip, s.host, s.sessionNumber, s.start, s.end, s.requests],
      ["10.0.0.1", null, 0, T, T + 160, 6],
    );
    assert.deepEqual(s.userAgents, [
      { ua: "UA1", requests: 5 },
      { ua: "UA2", requests: 1 },
    ]);
    assertFeatures(s.features, visitFeatures);
  });

  it("gives a single request the gap as interval, no spread, and -1 depth std without HTML", () => {
    const one: Req[] = [{ t: 0, path: "/app.js", bytes: 70, status: 403 }];
    const want: Features = {
      request_interval: 1800,
      ua_change_rate: 1,
      html2image_ratio: 0,
      variance_request_interval: 0,
      payload_average: 70,
      error_rate: 1,
      request_depth: 0,
      request_depth_std: -1,
      session_length: 0,
      percentage_cons_requests: 0,
      server_error_rate: 0,
      head_share: 0,
      post_share: 0,
      distinct_path_ratio: 1,
      distinct_query_ratio: 0,
      path_depth_mean: 1,
      path_depth_var: 0,
      css_html_ratio: 0,
      js_html_ratio: 1, // html counted as at least 1
      image_html_ratio: 0,
      ua_count: 1,
    };
    assertFeatures(only(one).features, want);
    assertFeatures(only(one, { gapSeconds: 600 }).features, { ...want, request_interval: 600 });
    assertFeatures(only(one, { compat: true }).features, want);
  });

  it("has no interval spread with two requests, and a zero interval for requests in the same second", () => {
    const two: Req[] = [
      { t: 0, path: "/news/a" },
      { t: 0, path: "/blog/b" },
    ];
    const f = only(two).features;
    assert.equal(f.request_interval, 0);
    assert.equal(f.variance_request_interval, 0);
    assert.equal(f.session_length, 0);
    assert.equal(f.percentage_cons_requests, 0, "/news/ and /blog/ are different folders");
    assert.equal(f.request_depth, 2);
    assert.equal(f.request_depth_std, 0);
    assert.equal(f.html2image_ratio, 0);
    // Bothound: `interval and x or 1800` turned a zero interval into 1800, and it compared the
    // positions of the last '/' (5 and 5 here), not the folders
    const c = only(two, { compat: true }).features;
    assert.equal(c.request_interval, 1800);
    assert.equal(c.percentage_cons_requests, 1 / 2);
  });

  it("gives 0 html2image_ratio without HTML and the asset ratios against at least one page", () => {
    const images: Req[] = [
      { t: 0, path: "/a.png" },
      { t: 100, path: "/b/c.GIF" },
      { t: 300, path: "/d.jpeg", ua: "UA2" },
    ];
    const f = only(images).features;
    assert.equal(f.html2image_ratio, 0);
    assert.equal(f.image_html_ratio, 3);
    assert.equal(f.request_depth, 0);
    assert.equal(f.request_depth_std, -1);
    assert.equal(f.percentage_cons_requests, 0);
    assert.equal(f.request_interval, 150);
    assert.equal(f.variance_request_interval, Math.sqrt(5000)); // gaps 100, 200: sample std
    assert.equal(f.ua_change_rate, 2 / 3);
    assert.equal(f.ua_count, 2);
    // compat: population std of the gaps
    assert.equal(only(images, { compat: true }).features.variance_request_interval, 50);
  });

  it("uses the population std of the gaps in compat mode", () => {
    assert.ok(
      Math.abs(only(visit, { compat: true }).features.variance_request_interval - Math.sqrt(1480 / 5)) <
        1e-12,
    );
  });

  it("compat mode floors sub-second times to whole seconds", () => {
    const sub: Req[] = [
      { t: 0.2, path: "/a" },
      { t: 1.7, path: "/b" },
      { t: 3.9, path: "/c" },
    ];
    const f = only(sub).features;
    assert.ok(Math.abs(f.session_length - 3.7) < 1e-6); // epoch seconds carry ~1e-7 of precision
    assert.ok(Math.abs(f.request_interval - 1.85) < 1e-6);
    const c = only(sub, { compat: true });
    assert.equal(c.features.session_length, 3);
    assert.equal(c.features.request_interval, 1.5);
    assert.equal(c.start, T);
  });

  it("percentage_cons_requests compares folders of HTML requests only", () => {
    const walk: Req[] = [
      { t: 0, path: "/a/1" },
      { t: 1, path: "/a/2.html" }, // same folder /a/
      { t: 2, path: "/a/x.png" }, // not HTML: ignored
      { t: 3, path: "/a/3.php" }, // same folder as /a/2.html
      { t: 4, path: "/b/1" }, // /b/
      { t: 5, path: "/c/1" }, // /c/: last '/' at the same position as /b/1
      { t: 6, path: "/c/" }, // folder /c/
      { t: 7, path: "/c" }, // folder /
      { t: 8, path: "/d" }, // folder /
    ];
    // HTML: /a/1 /a/2.html /a/3.php /b/1 /c/1 /c/ /c /d -> consecutive: 2.html, 3.php, /c/, /d = 4 of 8
    assert.equal(only(walk).features.percentage_cons_requests, 4 / 8);
    // compat compares the positions of the last '/': 2 2 2 2 2 2 0 0 -> 6 of 8
    assert.equal(only(walk, { compat: true }).features.percentage_cons_requests, 6 / 8);
    // depths of the HTML requests: 2 2 2 2 2 2 1 1
    const f = only(walk).features;
    assert.equal(f.request_depth, 14 / 8);
    assert.ok(Math.abs(f.request_depth_std - Math.sqrt(26 / 8 - (14 / 8) ** 2)) < 1e-12);
  });

  it("does not count the first HTML request as consecutive, whatever its path", () => {
    // requests without any '/' (OPTIONS *, a TLS handshake kept as the request) are typed HTML
    const odd: Req[] = [
      { t: 0, path: "*" },
      { t: 1, path: "\\x16\\x03\\x01" },
      { t: 2, path: "/a" },
    ];
    assert.equal(only(odd).features.percentage_cons_requests, 1 / 3);
    // compat compares positions of the last '/': -1, -1, 0 -> only the second follows the first
    assert.equal(only(odd, { compat: true }).features.percentage_cons_requests, 1 / 3);
    assert.equal(only([{ t: 0, path: "*" }], { compat: true }).features.percentage_cons_requests, 0);
  });

  it("counts distinct paths and queries, error classes and methods", () => {
    const f = only([
      { t: 0, path: "/s", query: "q=1", status: 400 },
      { t: 1, path: "/s", query: "q=2", status: 499 },
      { t: 2, path: "/s", query: "q=1", status: 399 },
      { t: 3, path: "/t", query: "", status: 503, method: "HEAD" },
      { t: 4, path: "/t", status: 599, method: "PUT" },
    ]).features;
    assert.equal(f.distinct_path_ratio, 2 / 5);
    assert.equal(f.distinct_query_ratio, 3 / 5); // "q=1", "q=2", ""
    assert.equal(f.error_rate, 2 / 5);
    assert.equal(f.server_error_rate, 2 / 5);
    assert.equal(f.head_share, 1 / 5);
    assert.equal(f.post_share, 0);
  });

  it("types requests by content type when the log has one, HTML with a charset included", () => {
    const typed: Req[] = [
      { t: 0, path: "/page.php", ct: "text/html; charset=utf-8" },
      { t: 10, path: "/x", ct: "image/png" },
      { t: 20, path: "/y", ct: "text/html" },
      { t: 30, path: "/z.png", ct: "application/octet-stream" },
      { t: 40, path: "/s", ct: "text/css; charset=utf-8" },
      { t: 50, path: "/j", ct: "application/javascript" },
    ];
    const f = only(typed).features;
    assert.equal(f.html2image_ratio, 1 / 2);
    assert.equal(f.image_html_ratio, 1 / 2);
    assert.equal(f.css_html_ratio, 1 / 2);
    assert.equal(f.js_html_ratio, 1 / 2);
    // Bothound typed only the bare "text/html" as HTML
    const c = only(typed, { compat: true }).features;
    assert.equal(c.html2image_ratio, 1);
    assert.equal(c.css_html_ratio, 1);
  });
});

describe("request types", () => {
  it("types paths by extension: none is a page", () => {
    const cases: [string, RequestType][] = [
      ["/", RequestType.Html],
      ["/about", RequestType.Html],
      ["/a.HTML", RequestType.Html],
      ["/wp-login.php", RequestType.Html],
      ["/dir.v2/page", RequestType.Html],
      ["/img/a.JPG", RequestType.Image],
      ["/favicon.ico", RequestType.Image],
      ["/a.svg", RequestType.Image],
      ["/s.css", RequestType.Css],
      ["/m.mjs", RequestType.Js],
      ["/app.js", RequestType.Js],
      ["/f.tar.gz", RequestType.Other],
      ["/robots.txt", RequestType.Other],
      ["/a.", RequestType.Other],
      ["/a.javascript", RequestType.Other],
      ["/caf\u00e9.png", RequestType.Image],
      ["/x.p\u00e9g", RequestType.Other],
      ["*", RequestType.Html],
      ["", RequestType.Html],
    ];
    for (const [path, type] of cases) assert.equal(typeFromPath(path), type, path);
  });

  it("types by content type first", () => {
    assert.equal(requestType("/a.png", "text/html"), RequestType.Html);
    assert.equal(requestType("/a", "TEXT/HTML; charset=UTF-8"), RequestType.Html);
    assert.equal(requestType("/a", "text/html; charset=UTF-8", true), RequestType.Other);
    assert.equal(requestType("/a", "text/html", true), RequestType.Html);
    assert.equal(requestType("/a", "image/webp"), RequestType.Image);
    assert.equal(requestType("/a", "text/css"), RequestType.Css);
    assert.equal(requestType("/a", "text/javascript; charset=utf-8"), RequestType.Js);
    assert.equal(requestType("/a", "application/ecmascript"), RequestType.Js);
    assert.equal(requestType("/a.html", "application/json"), RequestType.Other);
    assert.equal(requestType("/a.png", null), RequestType.Image);
    assert.equal(requestType("/a.png", ""), RequestType.Image);
  });
});
