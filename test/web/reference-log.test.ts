/**
 * The sessions of a real Apache combined log (10,000 lines from 2015) against an independent computation
 * written here with a different code path: a regular expression and Date.parse instead of the streaming
 * parser, whole arrays grouped by IP and sorted instead of running sums, two-pass statistics.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runWebSessions, type WebRunStats } from "../../src/web/pipeline.ts";
import type { WebSession } from "../../src/web/sessionizer.ts";

const FILE = "/work/shared/data/weblogs/apache_combined_2015.log";
const skip = existsSync(FILE) ? false : `reference log ${FILE} not found: skipping the comparison with it`;

const BOTHOUND = [
  "request_interval",
  "ua_change_rate",
  "html2image_ratio",
  "variance_request_interval",
  "payload_average",
  "error_rate",
  "request_depth",
  "request_depth_std",
  "session_length",
  "percentage_cons_requests",
] as const;
type Bothound = (typeof BOTHOUND)[number];
/** Features that depend on the order of the requests inside a session, not only on the set of them. */
const ORDER_DEPENDENT: Bothound[] = ["variance_request_interval", "percentage_cons_requests"];

interface Hit {
  ip: string;
  time: number;
  /** Position in the file: ties in time keep the file order. */
  seq: number;
  path: string;
  status: number;
  bytes: number;
  ua: string;
}

interface Reference {
  ip: string;
  number: number;
  start: number;
  end: number;
  requests: number;
  features: Record<Bothound, number>;
}

const LINE =
  /^(\S+) \S+ \S+ \[(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\] "([^"]*)" (\d{3}) (\d+|-) "[^"]*" "([^"]*)"$/;
const HTML_EXT = new Set(["html", "htm", "shtml", "xhtml", "php", "asp", "aspx", "jsp", "cgi", "pl", "cfm"]);
const IMAGE_EXT = new Set(["jpg", "jpeg", "gif", "png", "ico", "svg", "webp", "bmp", "tif", "tiff", "avif"]);

function parseLines(text: string): { hits: Hit[]; unreadable: number[] } {
  const hits: Hit[] = [];
  const unreadable: number[] = [];
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, i) => {
    const m = LINE.exec(line);
    if (!m) {
      unreadable.push(i + 1);
      return;
    }
    const [, ip, dd, mon, yyyy, hh, mi, ss, sign, oh, om, request, status, bytes, ua] = m;
    const time = Date.parse(`${dd} ${mon} ${yyyy} ${hh}:${mi}:${ss} GMT${sign}${oh}${om}`) / 1000;
    assert.ok(Number.isFinite(time), line);
    const url = request.split(" ")[1];
    hits.push({
      ip,
      time,
      seq: i,
      path: url.split("?")[0],
      status: Number(status),
      bytes: bytes === "-" ? 0 : Number(bytes),
      ua,
    });
  });
  return { hits, unreadable };
}

function kind(path: string): "html" | "image" | "other" {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (!name.includes(".")) return "html";
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  return HTML_EXT.has(ext) ? "html" : IMAGE_EXT.has(ext) ? "image" : "other";
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const avg = (xs: number[]) => sum(xs) / xs.length;
function std(xs: number[], sample: boolean): number {
  const m = avg(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - (sample ? 1 : 0)));
}

/** Bothound's ten features of one session's hits (sorted by time), straight from their definitions. */
function bothoundFeatures(hits: Hit[], gap: number): Record<Bothound, number> {
  const n = hits.length;
  const times = hits.map((h) => h.time);
  const length = times[n - 1] - times[0];
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const uaCounts = new Map<string, number>();
  for (const h of hits) uaCounts.set(h.ua, (uaCounts.get(h.ua) ?? 0) + 1);
  const html = hits.filter((h) => kind(h.path) === "html");
  const images = hits.filter((h) => kind(h.path) === "image").length;
  const depths = html.map((h) => h.path.split("/").length - 1);
  const folder = (p: string) => p.slice(0, p.lastIndexOf("/") + 1);
  const consecutive = html.filter((h, i) => i > 0 && folder(h.path) === folder(html[i - 1].path)).length;
  return {
    request_interval: n === 1 ? gap : length / (n - 1),
    ua_change_rate: Math.max(...uaCounts.values()) / n,
    html2image_ratio: html.length && images ? images / html.length : 0,
    variance_request_interval: n < 3 ? 0 : std(gaps, true),
    payload_average: avg(hits.map((h) => h.bytes)),
    error_rate: hits.filter((h) => h.status >= 400 && h.status < 500).length / n,
    request_depth: html.length ? avg(depths) : 0,
    request_depth_std: html.length ? std(depths, false) : -1,
    session_length: length,
    percentage_cons_requests: html.length ? consecutive / html.length : 0,
  };
}

function referenceSessions(hits: Hit[], gap: number): Map<string, Reference> {
  const byIp = new Map<string, Hit[]>();
  for (const h of hits) {
    const list = byIp.get(h.ip) ?? [];
    list.push(h);
    byIp.set(h.ip, list);
  }
  const out = new Map<string, Reference>();
  for (const [ip, list] of byIp) {
    list.sort((a, b) => a.time - b.time || a.seq - b.seq);
    let from = 0;
    let number = 0;
    for (let i = 1; i <= list.length; i++) {
      if (i < list.length && list[i].time - list[i - 1].time <= gap) continue;
      const part = list.slice(from, i);
      out.set(`${ip}#${number}`, {
        ip,
        number,
        start: part[0].time,
        end: part[part.length - 1].time,
        requests: part.length,
        features: bothoundFeatures(part, gap),
      });
      number++;
      from = i;
    }
  }
  return out;
}

async function sessionsOf(file: string): Promise<{ stats: WebRunStats; sessions: Map<string, WebSession> }> {
  const sessions = new Map<string, WebSession>();
  const stats = await runWebSessions(
    [file],
    { gapSeconds: 1800, key: "ip", compat: false, weblog: {} },
    (_t, s) => {
      const key = `${s.ip}#${s.sessionNumber}`;
      assert.ok(!sessions.has(key), `one session ${key}`);
      sessions.set(key, s);
    },
  );
  return { stats, sessions };
}

/** Keys of the sessions whose given features differ from the reference by more than 1e-9. */
function mismatches(
  got: Map<string, WebSession>,
  want: Map<string, Reference>,
  features: readonly Bothound[],
) {
  const bad: string[] = [];
  for (const [key, ref] of want) {
    const s = got.get(key);
    assert.ok(s, `session ${key} exists`);
    for (const f of features)
      if (!(Math.abs(s.features[f] - ref.features[f]) <= 1e-9))
        bad.push(`${key} ${f}: ${s.features[f]} != ${ref.features[f]}`);
  }
  return bad;
}

describe("a real Apache log (2015) against an independent computation", { skip }, () => {
  let hits: Hit[];
  let reference: Map<string, Reference>;
  let original: { stats: WebRunStats; sessions: Map<string, WebSession> };
  let sorted: { stats: WebRunStats; sessions: Map<string, WebSession> };

  let dir = "";
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  before(async () => {
    const text = readFileSync(FILE, "latin1");
    const parsed = parseLines(text);
    hits = parsed.hits;
    assert.deepEqual(parsed.unreadable, [8899], "the reference parser also finds one unreadable line");
    reference = referenceSessions(hits, 1800);
    original = await sessionsOf(FILE);
    // the same lines, stably sorted by time
    const lines = text.split("\n").filter((l) => l !== "");
    const order = lines.map((_, i) => i);
    const timeOf = new Map(hits.map((h) => [h.seq, h.time]));
    order.sort((a, b) => (timeOf.get(a) ?? 0) - (timeOf.get(b) ?? 0) || a - b);
    dir = mkdtempSync(join(tmpdir(), "botscope-reference-"));
    const sortedFile = join(dir, "sorted.log");
    writeFileSync(sortedFile, `${order.map((i) => lines[i]).join("\n")}\n`, "latin1");
    sorted = await sessionsOf(sortedFile);
  });

  it("reads 10,000 lines, 1,753 distinct IPs and one truncated line", () => {
    const { stats } = original;
    assert.equal(stats.format, "combined");
    assert.equal(stats.lines, 10_000);
    assert.equal(stats.requests, 9_999);
    assert.equal(stats.bad.total, 1);
    assert.deepEqual(stats.bad.toJSON().byReason, { truncated: 1 });
    assert.deepEqual(
      stats.bad.toJSON().examples.truncated?.map((e) => `${e.file}:${e.line}`),
      [`${FILE}:8899`],
    );
    assert.equal(stats.targets.get("unknown")?.ips, 1_753);
    assert.equal(new Set(hits.map((h) => h.ip)).size, 1_753);
    assert.equal(hits.length, 9_999);
  });

  it("splits the same sessions as the reference: keys, times and request counts", () => {
    for (const run of [original, sorted]) {
      assert.equal(run.sessions.size, reference.size);
      for (const [key, ref] of reference) {
        const s = run.sessions.get(key);
        assert.ok(s, `session ${key}`);
        assert.deepEqual([s.start, s.end, s.requests], [ref.start, ref.end, ref.requests], key);
      }
    }
  });

  it("agrees on every Bothound feature when the lines are in time order", () => {
    assert.deepEqual(mismatches(sorted.sessions, reference, BOTHOUND).slice(0, 10), []);
  });

  it("agrees on the order-independent features of the file as it is", () => {
    const features = BOTHOUND.filter((f) => !ORDER_DEPENDENT.includes(f));
    assert.deepEqual(mismatches(original.sessions, reference, features).slice(0, 10), []);
  });

  it("agrees on the order-dependent features of the file as it is (its lines are shuffled within each minute)", () => {
    const bad = mismatches(original.sessions, reference, ORDER_DEPENDENT);
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} feature values differ`);
  });
});
