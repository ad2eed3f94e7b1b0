import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type AttackSpec,
  defaultAttacks,
  simulateWeb,
  type WebSimResult,
  writeWebSimulation,
} from "../../src/simulate/web.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Strict combined format: ip - - [time] "method path proto" status bytes "referer" "agent". */
const COMBINED = new RegExp(
  String.raw`^(\d{1,3}(?:\.\d{1,3}){3}) - - \[(\d{2})/(${MONTHS.join("|")})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\] ` +
    String.raw`"(GET|POST) (/[^\s"]*) (HTTP/1\.0|HTTP/1\.1|HTTP/2\.0)" (\d{3}) (\d+) "([^"]*)" "([^"]+)"$`,
);

interface Line {
  ip: string;
  ms: number;
  tz: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  referer: string;
  ua: string;
}

function parse(line: string): Line {
  const m = COMBINED.exec(line);
  assert.ok(m, `not combined format: ${line}`);
  const sign = m[8][0] === "-" ? -1 : 1;
  const offset = sign * (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(3, 5)));
  const local = Date.UTC(
    Number(m[4]),
    MONTHS.indexOf(m[3]),
    Number(m[2]),
    Number(m[5]),
    Number(m[6]),
    Number(m[7]),
  );
  return {
    ip: m[1],
    ms: local - offset * 60_000,
    tz: m[8],
    method: m[9],
    path: m[10],
    status: Number(m[12]),
    bytes: Number(m[13]),
    referer: m[14],
    ua: m[15],
  };
}

const ASSET = /\.(css|js|jpg|png|svg|webp|ico)(\?|$)/;
const SHOP_PATH =
  /^\/(products\/|c\/|static\/|images\/|cart|checkout|account|login|search|help\/|about$|contact$)/;
const NEWS_PATH = /^\/(\d{4}\/|category\/|tag\/|author\/|wp-|\?s=|about\/|contact\/|newsletter\/)/;

function pathKind(path: string): "shop" | "news" | "shared" {
  if (SHOP_PATH.test(path)) return "shop";
  if (NEWS_PATH.test(path)) return "news";
  return "shared";
}

let defaultRun: { sim: WebSimResult; parsed: Line[] } | undefined;
function defaults(): { sim: WebSimResult; parsed: Line[] } {
  if (!defaultRun) {
    const sim = simulateWeb({ seed: 42 });
    defaultRun = { sim, parsed: sim.lines.map(parse) };
  }
  return defaultRun;
}

const smallAttacks: AttackSpec[] = [
  {
    botnet: "bn-x",
    site: "news.example.net",
    startHour: 0.5,
    durationMinutes: 20,
    bots: 12,
    pattern: "xmlrpc-flood",
  },
  { botnet: "bn-y", site: "shop.example.org", startHour: 1, durationMinutes: 40, bots: 15, pattern: "slow" },
];

describe("simulateWeb determinism", () => {
  it("gives the same lines and truth for one seed, different ones for another", () => {
    const opts = { seed: 7, hours: 3, attacks: smallAttacks };
    const a = simulateWeb(opts);
    const b = simulateWeb(opts);
    assert.deepEqual(a.lines, b.lines);
    assert.deepEqual(a.truth, b.truth);
    const c = simulateWeb({ ...opts, seed: 8 });
    assert.notDeepEqual(a.lines, c.lines);
  });
});

describe("simulateWeb format", () => {
  it("writes strict combined lines in time order", () => {
    const { parsed, sim } = defaults();
    const startMs = Date.parse(sim.truth.start);
    const endMs = Date.parse(sim.truth.end);
    for (let i = 0; i < parsed.length; i++) {
      if (i > 0) assert.ok(parsed[i].ms >= parsed[i - 1].ms, `time goes back at line ${i}`);
      assert.ok(parsed[i].ms >= startMs && parsed[i].ms < endMs);
      assert.equal(parsed[i].tz, "+0000");
    }
  });

  it("writes time_local in the requested offset and follows local time for the daily rhythm", () => {
    const sim = simulateWeb({ seed: 3, hours: 2, tzOffset: "+0200", attacks: [] });
    const first = sim.lines[0];
    assert.match(first, /\[02\/Mar\/2026:02:0\d:\d\d \+0200\]/);
    for (const line of sim.lines) assert.equal(parse(line).tz, "+0200");
    // 00:00Z is 02:00 local (night), so fewer visitors than the same hours in a -0700 zone (17:00 local).
    const evening = simulateWeb({ seed: 3, hours: 2, tzOffset: "-0700", attacks: [] });
    const humans = (r: WebSimResult) => r.labels.filter((l) => l.role === "human").length;
    assert.ok(humans(evening) > 2 * humans(sim));
  });

  it("prefixes the site with vhost: true", () => {
    const sim = simulateWeb({ seed: 5, hours: 2, vhost: true, attacks: smallAttacks });
    for (let i = 0; i < sim.lines.length; i++) {
      const space = sim.lines[i].indexOf(" ");
      assert.equal(sim.lines[i].slice(0, space), sim.labels[i].site);
      parse(sim.lines[i].slice(space + 1));
    }
  });
});

describe("simulateWeb statistics (default run)", () => {
  it("has a realistic size", () => {
    const { sim } = defaults();
    assert.ok(sim.lines.length > 100_000 && sim.lines.length < 300_000, `lines ${sim.lines.length}`);
  });

  it("has human sessions of realistic length with assets", () => {
    const { sim, parsed } = defaults();
    const perSession = new Map<number, number>();
    const pagesPerSession = new Map<number, number>();
    let human = 0;
    let assets = 0;
    for (let i = 0; i < parsed.length; i++) {
      const label = sim.labels[i];
      if (label.role !== "human") continue;
      const session = label.session!;
      human++;
      perSession.set(session, (perSession.get(session) ?? 0) + 1);
      if (ASSET.test(parsed[i].path)) assets++;
      else if (parsed[i].method === "GET")
        pagesPerSession.set(session, (pagesPerSession.get(session) ?? 0) + 1);
    }
    const requests = human / perSession.size;
    const pages = [...pagesPerSession.values()].reduce((s, n) => s + n, 0) / perSession.size;
    assert.ok(requests > 15 && requests < 60, `requests per session ${requests}`);
    assert.ok(pages > 3 && pages < 9, `pages per session ${pages}`);
    const share = assets / human;
    assert.ok(share > 0.5 && share < 0.9, `asset share ${share}`);
  });

  it("has think times with a median of tens of seconds", () => {
    const { sim, parsed } = defaults();
    const lastPage = new Map<number, number>();
    const gaps: number[] = [];
    for (let i = 0; i < parsed.length; i++) {
      const label = sim.labels[i];
      const p = parsed[i];
      if (label.role !== "human" || ASSET.test(p.path) || p.method !== "GET") continue;
      const prev = lastPage.get(label.session!);
      if (prev !== undefined) gaps.push((p.ms - prev) / 1000);
      lastPage.set(label.session!, p.ms);
    }
    gaps.sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1];
    assert.ok(median > 10 && median < 60, `median think time ${median}`);
  });

  it("has a realistic status mix and response sizes", () => {
    const { sim, parsed } = defaults();
    const count = new Map<number, number>();
    for (const p of parsed) count.set(p.status, (count.get(p.status) ?? 0) + 1);
    const share = (s: number) => (count.get(s) ?? 0) / parsed.length;
    assert.ok(share(200) > 0.7, `200 share ${share(200)}`);
    assert.ok(share(404) > 0.005 && share(404) < 0.05, `404 share ${share(404)}`);
    assert.ok(share(304) > 0.02, `304 share ${share(304)}`);
    for (let i = 0; i < parsed.length; i++) {
      const p = parsed[i];
      if (p.status === 304) assert.equal(p.bytes, 0);
      if (sim.labels[i].role !== "human" || p.status !== 200 || p.method !== "GET") continue;
      if (/\.(jpg|webp|png)$/.test(p.path))
        assert.ok(p.bytes >= 2_000 && p.bytes <= 300_000, `image ${p.bytes}`);
      else if (!ASSET.test(p.path))
        assert.ok(p.bytes >= 5_000 && p.bytes <= 61_000, `html ${p.path} ${p.bytes}`);
    }
    const human5xx = parsed.filter((p, i) => sim.labels[i].role === "human" && p.status >= 500).length;
    const humans = sim.truth.linesByRole.human;
    assert.ok(human5xx > 0 && human5xx / humans < 0.01, `human 5xx share ${human5xx / humans}`);
  });

  it("follows a daily rhythm", () => {
    const { sim, parsed } = defaults();
    const starts = new Array<number>(24).fill(0);
    const seen = new Set<number>();
    for (let i = 0; i < parsed.length; i++) {
      const session = sim.labels[i].session;
      if (session === undefined || seen.has(session)) continue;
      seen.add(session);
      starts[new Date(parsed[i].ms).getUTCHours()]++;
    }
    const night = (starts[2] + starts[3] + starts[4] + starts[5]) / 4;
    const peak = Math.max(...starts);
    assert.ok(peak > 2 * night, `peak ${peak} night ${night}`);
    assert.ok(night > 0.1 * peak, "night traffic is low but not absent");
  });

  it("has returning visitors after more than 30 minutes", () => {
    const { sim, parsed } = defaults();
    const last = new Map<string, { session: number; ms: number }>();
    let returns = 0;
    for (let i = 0; i < parsed.length; i++) {
      const session = sim.labels[i].session;
      if (session === undefined) continue;
      const prev = last.get(parsed[i].ip);
      if (prev && prev.session !== session) {
        returns++;
        assert.ok(parsed[i].ms - prev.ms > 30 * 60_000, "a second visit comes after a 30-minute gap");
      }
      last.set(parsed[i].ip, { session, ms: parsed[i].ms });
    }
    assert.ok(returns > 50, `returning visitors ${returns}`);
  });

  it("has crawlers that read robots.txt first and fetch no assets", () => {
    const { sim, parsed } = defaults();
    const seen = new Set<string>();
    let lines = 0;
    for (let i = 0; i < parsed.length; i++) {
      const label = sim.labels[i];
      if (label.role !== "crawler") continue;
      lines++;
      const key = `${parsed[i].ip} ${label.site}`;
      if (!seen.has(key)) assert.equal(parsed[i].path, "/robots.txt");
      seen.add(key);
      assert.ok(!ASSET.test(parsed[i].path));
      assert.match(parsed[i].ua, /Googlebot|bingbot|YandexBot|AhrefsBot|SemrushBot/);
    }
    assert.ok(lines > 500);
  });
});

describe("simulateWeb ground truth (default run)", () => {
  it("describes every line", () => {
    const { sim, parsed } = defaults();
    const { truth } = sim;
    assert.equal(truth.lines, sim.lines.length);
    assert.equal(sim.labels.length, sim.lines.length);
    const { human, crawler, bot } = truth.linesByRole;
    assert.equal(human + crawler + bot, truth.lines);
    assert.equal(bot, sim.labels.filter((l) => l.role === "bot").length);
    for (let i = 0; i < parsed.length; i++) {
      const actor = truth.actors[parsed[i].ip];
      assert.ok(actor, `unknown IP ${parsed[i].ip}`);
      assert.equal(actor.role, sim.labels[i].role);
      if (actor.userAgent && actor.role !== "crawler") assert.equal(actor.userAgent, parsed[i].ua);
    }
  });

  it("runs the default scenario", () => {
    const { truth } = defaults().sim;
    assert.deepEqual(
      truth.attacks.map((a) => [a.botnet, a.pattern, a.site, a.start, a.ips.length]),
      [
        ["botnet-a", "page-flood", "shop.example.org", "2026-03-02T10:00:00.000Z", 150],
        ["botnet-b", "login-flood", "news.example.net", "2026-03-02T14:00:00.000Z", 80],
        ["botnet-a", "cache-bust", "shop.example.org", "2026-03-02T19:00:00.000Z", 180],
      ],
    );
  });

  it("keeps bots inside their attack windows and on the attacked site", () => {
    const { sim, parsed } = defaults();
    const { truth } = sim;
    const attacks = new Map(truth.attacks.map((a) => [a.id, a]));
    const kinds = new Map(truth.sites.map((s, i) => [s, i % 2 === 0 ? "shop" : "news"]));
    const counted = new Map<string, number>();
    for (let i = 0; i < parsed.length; i++) {
      const p = parsed[i];
      if (truth.actors[p.ip].role !== "bot") continue;
      const label = sim.labels[i];
      const attack = attacks.get(label.attack!)!;
      assert.ok(attack.ips.includes(p.ip));
      assert.equal(label.site, attack.site);
      assert.ok(p.ms >= Date.parse(attack.start) && p.ms < Date.parse(attack.end), "inside the window");
      assert.ok(!ASSET.test(p.path), "bots load no assets");
      const kind = pathKind(p.path);
      assert.ok(kind === "shared" || kind === kinds.get(attack.site), `${p.path} on ${attack.site}`);
      counted.set(attack.id, (counted.get(attack.id) ?? 0) + 1);
    }
    // Counting by IP and window (not by label) gives the same numbers.
    for (const attack of truth.attacks) {
      const ips = new Set(attack.ips);
      const from = Date.parse(attack.start);
      const to = Date.parse(attack.end);
      const n = parsed.filter((p) => ips.has(p.ip) && p.ms >= from && p.ms < to).length;
      assert.equal(n, attack.requests);
      assert.equal(counted.get(attack.id), attack.requests);
      assert.ok(attack.requests > attack.ips.length * 5);
    }
  });

  it("reuses botnet IPs in a later attack", () => {
    const { truth } = defaults().sim;
    const [first, , again] = truth.attacks;
    const earlier = new Set(first.ips);
    const shared = again.ips.filter((ip) => earlier.has(ip)).length;
    assert.equal(shared, Math.round(0.6 * 180));
    const all = new Set([...first.ips, ...again.ips]);
    assert.deepEqual(new Set(truth.botnets["botnet-a"].ips), all);
    assert.equal(truth.botnets["botnet-a"].ips.length, all.size);
    for (const ip of all) assert.equal(truth.actors[ip].botnet, "botnet-a");
  });

  it("overloads the attacked site", () => {
    const { sim, parsed } = defaults();
    const attack = sim.truth.attacks[0];
    const from = Date.parse(attack.start);
    const to = Date.parse(attack.end);
    let during = 0;
    let during5xx = 0;
    let outside = 0;
    let outside5xx = 0;
    const windows = sim.truth.attacks
      .filter((a) => a.site === attack.site)
      .map((a) => [Date.parse(a.start), Date.parse(a.end)]);
    for (let i = 0; i < parsed.length; i++) {
      if (sim.labels[i].site !== attack.site) continue;
      const ms = parsed[i].ms;
      const inside = ms >= from && ms < to;
      if (!inside && windows.some(([a, b]) => ms >= a && ms < b)) continue;
      const error = parsed[i].status >= 502 ? 1 : 0;
      if (inside) {
        during++;
        during5xx += error;
      } else {
        outside++;
        outside5xx += error;
      }
    }
    const duringShare = during5xx / during;
    const outsideShare = outside5xx / outside;
    assert.ok(duringShare > 0.01 && duringShare > 10 * outsideShare, `5xx ${duringShare} vs ${outsideShare}`);
  });
});

describe("simulateWeb options", () => {
  it("scales the default scenario to short runs", () => {
    assert.deepEqual(
      defaultAttacks(2, ["a", "b"]).map((a) => a.pattern),
      ["page-flood", "login-flood"],
    );
    const sim = simulateWeb({ seed: 11, hours: 2 });
    const end = Date.parse(sim.truth.end);
    assert.equal(sim.truth.attacks.length, 2);
    for (const a of sim.truth.attacks) assert.ok(Date.parse(a.end) <= end);
  });

  it("runs custom attacks; slow bots keep 2-4 requests per minute", () => {
    const sim = simulateWeb({ seed: 9, hours: 2, attacks: smallAttacks, visitorsPerHour: 40 });
    const [xmlrpc, slow] = sim.truth.attacks;
    assert.equal(xmlrpc.pattern, "xmlrpc-flood");
    const byIp = new Map<string, Line[]>();
    for (let i = 0; i < sim.lines.length; i++) {
      const label = sim.labels[i];
      const p = parse(sim.lines[i]);
      if (label.attack === xmlrpc.id) assert.equal(`${p.method} ${p.path}`, "POST /xmlrpc.php");
      if (label.attack !== slow.id) continue;
      assert.equal(p.method, "GET");
      assert.ok(!ASSET.test(p.path));
      byIp.set(p.ip, [...(byIp.get(p.ip) ?? []), p]);
    }
    assert.equal(byIp.size, 15);
    const rates: number[] = [];
    for (const lines of byIp.values()) {
      const span = (lines[lines.length - 1].ms - lines[0].ms) / 60_000;
      const rate = (lines.length - 1) / span;
      assert.ok(rate > 1.6 && rate < 4.6, `slow bot rate ${rate}`);
      rates.push(rate);
    }
    const mean = rates.reduce((s, r) => s + r, 0) / rates.length;
    assert.ok(mean >= 2 && mean <= 4, `mean slow rate ${mean}`);
  });

  it("rejects attacks on unknown sites or outside the run", () => {
    const bad = { ...smallAttacks[0], site: "elsewhere.example" };
    assert.throws(() => simulateWeb({ seed: 1, hours: 2, attacks: [bad] }), RangeError);
    const late = { ...smallAttacks[0], startHour: 5 };
    assert.throws(() => simulateWeb({ seed: 1, hours: 2, attacks: [late] }), RangeError);
    assert.throws(() => simulateWeb({ seed: 1, tzOffset: "CET" }), RangeError);
  });

  it("writes the log and the truth to files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "botscope-web-"));
    try {
      const opts = { seed: 4, hours: 1, attacks: [] };
      const truth = await writeWebSimulation(opts, join(dir, "access.log"), join(dir, "truth.json"));
      const log = await readFile(join(dir, "access.log"), "utf8");
      assert.ok(log.endsWith("\n"));
      assert.deepEqual(log.slice(0, -1).split("\n"), simulateWeb(opts).lines);
      const json = await readFile(join(dir, "truth.json"), "utf8");
      assert.deepEqual(JSON.parse(json), truth);
      assert.ok(json.startsWith('{\n  "sites"'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
