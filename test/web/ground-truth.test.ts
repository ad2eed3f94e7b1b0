import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { simulateWeb, type WebSimResult } from "../../src/simulate/web.ts";
import { runWebSessions, type WebRunStats } from "../../src/web/pipeline.ts";
import type { WebSession } from "../../src/web/sessionizer.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-truth-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("sessions of a simulated day against its ground truth (seed 5, 24 h)", () => {
  let sim: WebSimResult;
  let stats: WebRunStats;
  const sessions: WebSession[] = [];

  before(async () => {
    sim = simulateWeb({ seed: 5, hours: 24 });
    const file = join(dir, "access.log");
    writeFileSync(file, `${sim.lines.join("\n")}\n`);
    stats = await runWebSessions(
      [file],
      { gapSeconds: 1800, key: "ip", compat: false, weblog: {} },
      (_t, s) => sessions.push(s),
    );
  });

  const windows = () =>
    sim.truth.attacks.map((a) => ({ ...a, from: Date.parse(a.start) / 1000, to: Date.parse(a.end) / 1000 }));
  const role = (ip: string) => sim.truth.actors[ip]?.role;

  it("reads every simulated line as a request, and every request lands in a session", () => {
    assert.equal(stats.format, "combined");
    assert.equal(stats.lines, sim.lines.length);
    assert.equal(stats.requests, sim.lines.length);
    assert.equal(stats.requests, sim.truth.lines);
    assert.equal(stats.bad.total, 0);
    assert.equal(stats.filtered, 0);
    assert.equal(
      sessions.reduce((a, s) => a + s.requests, 0),
      stats.requests,
    );
  });

  it("sees exactly the simulated actors as distinct IPs", () => {
    assert.deepEqual([...stats.targets.keys()], ["unknown"], "the combined format has no host");
    const actors = Object.keys(sim.truth.actors);
    assert.equal(stats.targets.get("unknown")?.ips, actors.length);
    assert.deepEqual(new Set(sessions.map((s) => s.ip)), new Set(actors));
  });

  it("gives every bot of every attack a session overlapping the attack window", () => {
    assert.equal(sim.truth.attacks.length, 3);
    for (const w of windows()) {
      const inWindow = sessions.filter((s) => w.ips.includes(s.ip) && s.start < w.to && s.end >= w.from);
      assert.deepEqual(
        new Set(inWindow.map((s) => s.ip)),
        new Set(w.ips),
        `${w.id}: every bot has a session`,
      );
      assert.equal(inWindow.length, w.ips.length, `${w.id}: one session per bot`);
      // bots send only attack traffic: their sessions hold exactly the attack's requests, inside the window
      assert.equal(
        inWindow.reduce((a, s) => a + s.requests, 0),
        w.requests,
        w.id,
      );
      assert.ok(inWindow.every((s) => s.start >= w.from && s.end < w.to));
      // and their mean request interval is the window over the requests per bot
      const expected = (w.to - w.from) / (w.requests / w.ips.length);
      const got = mean(inWindow.map((s) => s.features.request_interval));
      assert.ok(Math.abs(got - expected) < 0.1 * expected, `${w.id}: interval ${got} vs ${expected}`);
    }
    const botSessions = sessions.filter((s) => role(s.ip) === "bot");
    const attackSessions = windows().reduce(
      (a, w) => a + sessions.filter((s) => w.ips.includes(s.ip) && s.start < w.to && s.end >= w.from).length,
      0,
    );
    assert.equal(botSessions.length, attackSessions, "no bot session outside an attack");
  });

  it("separates flood bots from human visitors by their features", () => {
    const bots = sessions.filter((s) => role(s.ip) === "bot");
    const humans = sessions.filter((s) => role(s.ip) === "human");
    assert.ok(
      bots.length > 300 && humans.length > 3000,
      `${bots.length} bot, ${humans.length} human sessions`,
    );
    const f = (xs: WebSession[], k: keyof WebSession["features"]) => mean(xs.map((s) => s.features[k]));
    // floods fetch pages, never their images; people load the images of every page
    assert.ok(bots.every((s) => s.features.html2image_ratio === 0));
    assert.ok(f(humans, "html2image_ratio") > 2);
    // flood bots hammer few URLs at a steady pace, in long sessions
    assert.ok(f(bots, "variance_request_interval") < f(humans, "variance_request_interval") / 2);
    assert.ok(f(bots, "distinct_path_ratio") < f(humans, "distinct_path_ratio") / 10);
    assert.ok(f(bots, "session_length") > 5 * f(humans, "session_length"));
    assert.ok(f(bots, "percentage_cons_requests") > 3 * f(humans, "percentage_cons_requests"));
    // and each bot is slower than 2 requests per second
    assert.ok(bots.every((s) => s.features.request_interval > 0.5));
  });
});

describe("per-site sessions of a simulated vhost log", () => {
  it("splits traffic by host, and --target keeps one site (T and www.T)", async () => {
    const sim = simulateWeb({ seed: 5, hours: 3, vhost: true });
    const [shop, news] = sim.truth.sites;
    // some lines for www.<shop> and with a port: the same site for --target
    const lines = sim.lines.map((l, i) =>
      i % 7 === 0 && l.startsWith(`${shop} `)
        ? `www.${l}`
        : i % 11 === 0 && l.startsWith(`${shop} `)
          ? l.replace(" ", ":443 ")
          : l,
    );
    const file = join(dir, "vhost.log");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const bySite = (site: string) => sim.labels.filter((l) => l.site === site).length;
    const ipsOf = (site: string) =>
      new Set(sim.lines.filter((_, i) => sim.labels[i].site === site).map((l) => l.split(" ")[1])).size;

    const all = await runWebSessions(
      [file],
      { gapSeconds: 1800, key: "ip", compat: false, weblog: {} },
      () => {},
    );
    assert.equal(all.format, "vhost_combined");
    assert.equal(all.targets.get(news)?.requests, bySite(news));
    assert.equal(all.targets.get(news)?.ips, ipsOf(news));
    assert.equal(
      [...all.targets.values()].reduce((a, t) => a + t.requests, 0),
      sim.lines.length,
    );

    const sessions: WebSession[] = [];
    const one = await runWebSessions(
      [file],
      { gapSeconds: 1800, key: "ip", compat: false, weblog: {}, target: shop },
      (target, s) => {
        assert.equal(target, shop);
        sessions.push(s);
      },
    );
    assert.deepEqual([...one.targets.keys()], [shop]);
    assert.equal(one.targets.get(shop)?.requests, bySite(shop));
    assert.equal(one.filtered, bySite(news));
    assert.equal(one.targets.get(shop)?.ips, ipsOf(shop));
    assert.equal(
      sessions.reduce((a, s) => a + s.requests, 0),
      bySite(shop),
    );
  });
});
