import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { Rng } from "../../src/core/random.ts";
import {
  BINETFLOW_HEADER,
  formatArgusTime,
  keepAliveTimes,
  labelClass,
  simulateFlows,
  writeFlowSimulation,
} from "../../src/simulate/flows.ts";

interface Row {
  time: string;
  dur: string;
  proto: string;
  src: string;
  sport: string;
  dir: string;
  dst: string;
  dport: string;
  state: string;
  sTos: string;
  dTos: string;
  pkts: number;
  bytes: number;
  srcBytes: number;
  label: string;
}

function parse(line: string): Row {
  const f = line.split(",");
  assert.equal(f.length, 15, line);
  return {
    time: f[0],
    dur: f[1],
    proto: f[2],
    src: f[3],
    sport: f[4],
    dir: f[5],
    dst: f[6],
    dport: f[7],
    state: f[8],
    sTos: f[9],
    dTos: f[10],
    pkts: Number(f[11]),
    bytes: Number(f[12]),
    srcBytes: Number(f[13]),
    label: f[14],
  };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function sd(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
}

function argusTimeMs(t: string): number {
  return Date.parse(`${t.slice(0, 10).replaceAll("/", "-")}T${t.slice(11, 23)}Z`);
}

// One default capture shared by the statistical tests (generating it takes about a second).
const sim = simulateFlows({ seed: 42 });
const rows = sim.lines.slice(1).map(parse);
const roleOf = (ip: string) => sim.truth.hosts[ip]?.role;

describe("simulateFlows: determinism", () => {
  test("same seed gives identical lines and truth", () => {
    const a = simulateFlows({ seed: 3, hours: 0.5 });
    const b = simulateFlows({ seed: 3, hours: 0.5 });
    assert.deepEqual(a.lines, b.lines);
    assert.deepEqual(a.truth, b.truth);
  });

  test("different seeds differ", () => {
    const a = simulateFlows({ seed: 3, hours: 0.5 });
    const b = simulateFlows({ seed: 4, hours: 0.5 });
    assert.notDeepEqual(a.lines.slice(1, 50), b.lines.slice(1, 50));
  });
});

describe("simulateFlows: CTU-13 binetflow format", () => {
  test("header is the CTU-13 header", () => {
    assert.equal(sim.lines[0], BINETFLOW_HEADER);
    assert.equal(sim.lines[0].split(",").length, 15);
  });

  test("every field parses", () => {
    const dirs = new Set(["   ->", "  <->", "  <?>", "   ?>", "  <-", "  who"]);
    const time = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/;
    const hex = /^0x[0-9a-f]{4}$/;
    for (const r of rows) {
      assert.match(r.time, time);
      assert.match(r.dur, /^\d+\.\d{6}$/);
      assert.ok(dirs.has(r.dir), `dir ${JSON.stringify(r.dir)}`);
      assert.match(r.state, /^[A-Z_]+$/);
      assert.match(r.label, /^flow=(From-|To-)?(Background|Normal|Botnet)/);
      assert.ok(r.pkts >= 1 && r.bytes >= r.srcBytes && r.srcBytes >= 0, JSON.stringify(r));
      assert.ok(r.dTos === "0" || r.dTos === "");
      if (r.proto === "icmp") {
        assert.match(r.sport, hex);
        assert.match(r.dport, hex);
      } else if (r.proto === "tcp" || r.proto === "udp") {
        assert.match(r.sport, /^\d+$/);
        assert.match(r.dport, /^\d+$/);
      } else {
        assert.equal(r.proto, "arp");
        assert.equal(r.dir, "  who");
      }
    }
  });

  test("unanswered flows leave dTos empty like Argus", () => {
    const syn = rows.find((r) => r.state === "S_");
    const con = rows.find((r) => r.state === "CON");
    assert.equal(syn?.dTos, "");
    assert.equal(con?.dTos, "0");
  });

  test("formatArgusTime prints UTC with microseconds", () => {
    const us = Date.parse("2011-08-16T10:01:46Z") * 1000 + 972101;
    assert.equal(formatArgusTime(us), "2011/08/16 10:01:46.972101");
  });

  test("flows are sorted by start time and inside the capture", () => {
    const start = Date.parse(sim.truth.start);
    const end = Date.parse(sim.truth.end);
    let prev = "";
    for (const r of rows) {
      assert.ok(r.time >= prev, `${r.time} after ${prev}`);
      prev = r.time;
    }
    assert.ok(argusTimeMs(rows[0].time) >= start);
    assert.ok(argusTimeMs(rows[rows.length - 1].time) < end);
  });
});

describe("simulateFlows: ground truth", () => {
  test("default scenario: 12 normal, 2 infected, 1 p2p host, 4 hours", () => {
    const roles = Object.values(sim.truth.hosts).map((h) => h.role);
    assert.equal(roles.filter((r) => r === "normal").length, 12);
    assert.equal(roles.filter((r) => r === "infected").length, 2);
    assert.equal(roles.filter((r) => r === "p2p").length, 1);
    assert.equal(sim.truth.start, "2026-03-02T08:00:00.000Z");
    assert.equal(sim.truth.end, "2026-03-02T12:00:00.000Z");
    assert.equal(sim.truth.p2p[0].peers.length, 5);
  });

  test("every truth host appears as a flow source", () => {
    const sources = new Set(rows.map((r) => r.src));
    for (const ip of Object.keys(sim.truth.hosts)) assert.ok(sources.has(ip), ip);
  });

  test("labels agree with host roles", () => {
    for (const r of rows) {
      const cls = labelClass(r.label);
      if (cls === "botnet") {
        const role = roleOf(r.src);
        assert.ok(role === "infected" || role === "p2p", `${r.src} ${r.label}`);
      } else if (cls === "normal") {
        assert.equal(roleOf(r.src), "normal");
      } else {
        assert.equal(roleOf(r.src), undefined, `${r.src} ${r.label}`);
        assert.equal(roleOf(r.dst), undefined, `${r.dst} ${r.label}`);
      }
    }
  });

  test("flow counts match the lines", () => {
    const counts = { botnet: 0, normal: 0, background: 0 };
    for (const r of rows) counts[labelClass(r.label)]++;
    assert.deepEqual(sim.truth.flowsByLabel, counts);
    assert.equal(sim.truth.flows, rows.length);
  });
});

describe("simulateFlows: believable traffic", () => {
  test("default capture size", () => {
    assert.ok(rows.length > 50_000 && rows.length < 200_000, String(rows.length));
  });

  test("background dominates, normal hosts resolve names", () => {
    assert.ok(sim.truth.flowsByLabel.background / rows.length > 0.5);
    const normalDns = rows.filter((r) => roleOf(r.src) === "normal" && r.dport === "53" && r.proto === "udp");
    assert.ok(normalDns.length > 100, String(normalDns.length));
    const normalWeb = rows.filter(
      (r) => roleOf(r.src) === "normal" && (r.dport === "443" || r.dport === "80"),
    );
    assert.ok(new Set(normalWeb.map((r) => r.dst)).size > 50);
  });

  test("spam host contacts many distinct mail exchangers, mostly failing", () => {
    const spammer = Object.entries(sim.truth.hosts).find(([, h]) => h.behaviours?.includes("spam"))?.[0];
    const smtp = rows.filter((r) => r.src === spammer && r.dport === "25");
    assert.ok(new Set(smtp.map((r) => r.dst)).size > 500);
    const failed = smtp.filter((r) => r.state === "S_" || r.state === "S_RA").length;
    assert.ok(failed / smtp.length > 0.6);
    assert.ok(smtp.every((r) => r.label.includes("SPAM")));
  });

  test("scanner probes many ports and addresses, with ICMP echo sweeps", () => {
    const scanner = Object.entries(sim.truth.hosts).find(([, h]) => h.behaviours?.includes("scan"))?.[0];
    const probes = rows.filter((r) => r.src === scanner && r.label.includes("Scan"));
    assert.ok(new Set(probes.map((r) => r.dport)).size > 100);
    assert.ok(new Set(probes.map((r) => r.dst)).size > 1000);
    assert.ok(probes.some((r) => r.proto === "icmp" && r.sport === "0x0008" && r.state === "ECO"));
  });

  test("C&C polls every 60-300 s with small payloads", () => {
    for (const [ip, h] of Object.entries(sim.truth.hosts)) {
      if (!h.behaviours?.includes("cc")) continue;
      const cc = rows.filter((r) => r.src === ip && r.label.includes("-CC"));
      const times = cc.map((r) => argusTimeMs(r.time));
      const gaps = times.slice(1).map((t, i) => (t - times[i]) / 1000);
      assert.ok(median(gaps) > 30 && median(gaps) < 330, String(median(gaps)));
      assert.ok(cc.every((r) => r.bytes < 10_000));
      assert.ok(new Set(cc.map((r) => r.dst)).size <= 2);
    }
  });

  test("p2p bot beats each peer once per period", () => {
    const spec = sim.truth.p2p[0];
    for (const peer of spec.peers) {
      const times = rows.filter((r) => r.src === spec.host && r.dst === peer).map((r) => argusTimeMs(r.time));
      assert.ok(times.length >= 22 && times.length <= 24, String(times.length));
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      assert.ok(Math.abs(median(gaps) - 600_000) < 6000);
    }
  });

  test("tcp p2p with missed beats and explicit host", () => {
    const s = simulateFlows({
      seed: 9,
      hours: 2,
      normalHosts: 1,
      backgroundFlowsPerMinute: 10,
      infected: [],
      p2p: [{ host: "10.20.5.5", peers: 3, periodSeconds: 60, missedBeatShare: 0.25, protocol: "tcp" }],
    });
    const p2p = s.lines
      .slice(1)
      .map(parse)
      .filter((r) => r.src === "10.20.5.5");
    assert.ok(p2p.every((r) => r.proto === "tcp" && r.label.endsWith("-TCP-P2P")));
    const expected = 3 * 120;
    assert.ok(Math.abs(p2p.length / expected - 0.75) < 0.08, String(p2p.length));
    assert.deepEqual(s.truth.hosts["10.20.5.5"], { role: "p2p", botnet: "p2p" });
  });
});

describe("keepAliveTimes", () => {
  const base = {
    startMs: 0,
    endMs: 48 * 3600_000,
    periodMs: 600_000,
    driftPerPeriodMs: 0,
    missedBeatShare: 0,
  };

  test("median interval within 1% of the period, jitter sd as specified", () => {
    const times = keepAliveTimes(new Rng(1), { ...base, jitterMs: 2000 });
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(Math.abs(median(gaps) - 600_000) < 6000);
    const residuals = times.map((t) => t - Math.round(t / 600_000) * 600_000);
    assert.ok(Math.abs(sd(residuals) - 2000) < 300, String(sd(residuals)));
    // Consecutive beats differ by two independent jitters.
    assert.ok(Math.abs(sd(gaps) - 2000 * Math.SQRT2) < 450, String(sd(gaps)));
  });

  test("missed beats are dropped at the requested share", () => {
    const times = keepAliveTimes(new Rng(2), {
      ...base,
      endMs: 400 * 3600_000,
      jitterMs: 0,
      missedBeatShare: 0.2,
    });
    const expected = (400 * 3600_000) / 600_000;
    assert.ok(Math.abs(times.length / expected - 0.8) < 0.03, String(times.length / expected));
  });

  test("drift lengthens every period", () => {
    const times = keepAliveTimes(new Rng(3), { ...base, jitterMs: 0, driftPerPeriodMs: 500 });
    assert.equal(times[1] - times[0], 600_500);
    assert.equal(times[times.length - 1], (times.length - 1) * 600_500);
  });

  test("times are sorted and inside the window", () => {
    const times = keepAliveTimes(new Rng(4), { ...base, startMs: 1000, endMs: 3600_000, jitterMs: 60_000 });
    assert.deepEqual(
      times,
      times.slice().sort((a, b) => a - b),
    );
    assert.ok(times.every((t) => t >= 1000 && t < 3600_000));
  });
});

describe("options and output", () => {
  test("rejects bad options with clear errors", () => {
    assert.throws(() => simulateFlows({ seed: 1, internal: "10.0.0.0/33" }), /internal/);
    assert.throws(() => simulateFlows({ seed: 1, start: "yesterday" }), /start/);
    assert.throws(
      () => simulateFlows({ seed: 1, p2p: [{ host: "192.168.1.1", peers: 1, periodSeconds: 60 }] }),
      /not inside/,
    );
    assert.throws(() => simulateFlows({ seed: 1, p2p: [{ peers: 0, periodSeconds: 60 }] }), /peers/);
  });

  test("infection can start later", () => {
    const s = simulateFlows({
      seed: 5,
      hours: 2,
      normalHosts: 0,
      backgroundFlowsPerMinute: 5,
      infected: [{ host: "10.20.9.9", behaviours: ["cc"], botnet: "late", startHour: 1 }],
      p2p: [],
    });
    const first = s.lines
      .slice(1)
      .map(parse)
      .find((r) => r.src === "10.20.9.9");
    assert.ok(first && argusTimeMs(first.time) >= Date.parse(s.truth.start) + 3600_000);
    assert.equal(s.truth.hosts["10.20.9.9"].botnet, "late");
  });

  test("writeFlowSimulation writes newline-terminated lines and the truth", async () => {
    const dir = await mkdtemp(join(tmpdir(), "botscope-flows-"));
    try {
      const opts = { seed: 11, hours: 0.25, backgroundFlowsPerMinute: 20 };
      const out = join(dir, "sub", "cap.binetflow");
      const truth = await writeFlowSimulation(opts, out, join(dir, "truth.json"));
      const text = await readFile(out, "utf8");
      assert.ok(text.endsWith("\n"));
      assert.deepEqual(text.slice(0, -1).split("\n"), simulateFlows(opts).lines);
      assert.deepEqual(JSON.parse(await readFile(join(dir, "truth.json"), "utf8")), truth);
      await writeFlowSimulation(opts, join(dir, "cap.binetflow.gz"), join(dir, "t2.json"));
      assert.equal(gunzipSync(await readFile(join(dir, "cap.binetflow.gz"))).toString("utf8"), text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
