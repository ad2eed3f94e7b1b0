import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { runWatch } from "../../src/app/watch.ts";
import { parseConfig } from "../../src/core/config.ts";
import { openStore, type Store } from "../../src/store/open.ts";
import { FileFollower } from "../../src/watch/follow.ts";

const config = parseConfig({ privacy: { passphrase: "test", scrypt: { N: 1024 } } });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
let dir: string;
let store: Store;

function clf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

const line = (i: number) =>
  `10.0.${i % 7}.${i % 250} - - [${clf(Date.now())}] "GET /p/${i} HTTP/1.1" 200 123 "-" "test-agent/1.0"\n`;
const lines = (from: number, to: number) => {
  let s = "";
  for (let i = from; i < to; i++) s += line(i);
  return s;
};

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "botscope-follow-"));
  store = await openStore(join(dir, "botscope.db"));
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("watch, live (tail -F)", () => {
  test("no line lost or read twice across partial writes, rotation and truncation; garbage counted", async () => {
    const path = join(dir, "live.log");
    const seen: number[] = [];
    const ac = new AbortController();
    const running = runWatch(store, config, {
      input: path,
      replay: false,
      weblog: { format: "combined" },
      threshold: 0.95,
      holdMinutes: 0,
      intervalSeconds: 1,
      lateness: 0.2,
      learnHours: 0,
      pollMs: 20,
      chain: false,
      gapSeconds: 1800,
      key: "ip",
      compat: false,
      signal: ac.signal,
      tap: (r) => seen.push(Number(r.path.slice(3))),
    });
    await sleep(50); // the file does not exist yet: waited for
    appendFileSync(path, lines(0, 100));
    await until(() => seen.length === 100, "first lines");
    // a line written in two parts is read once, whole
    const split = line(100);
    appendFileSync(path, split.slice(0, 30));
    await sleep(80);
    appendFileSync(path, `${split.slice(30)}garbage line\n\x00\x01\x02binary\n${lines(101, 150)}`);
    await until(() => seen.length === 150, "lines after the split one");
    // rotation: the writer keeps writing to the renamed file for a while, then a new file starts
    renameSync(path, `${path}.1`);
    appendFileSync(`${path}.1`, lines(150, 170));
    await sleep(60);
    appendFileSync(`${path}.1`, lines(170, 180));
    appendFileSync(path, lines(180, 260));
    await until(() => seen.length === 260, "lines around the rotation");
    // truncation (copytruncate): start again at the beginning of the shorter file
    truncateSync(path, 0);
    appendFileSync(path, `${lines(260, 300)}not a log line either\n`);
    await until(() => seen.length === 300, "lines after the truncation");
    await sleep(1300); // a bucket or two close on the wall clock
    appendFileSync(path, lines(300, 310).slice(0, -1)); // last line without its newline
    await until(() => seen.length === 309, "last lines");
    ac.abort();
    const summary = await running;
    assert.equal(seen.length, 310, "the unterminated last line is read at shutdown");
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: 310 }, (_, i) => i),
    );
    assert.equal(summary.mode, "live");
    assert.equal(summary.requests, 310);
    assert.equal(summary.badLines.total, 3);
    assert.equal(summary.lines, 313);
    assert.equal(summary.follow?.rotations, 1);
    assert.equal(summary.follow?.truncations, 1);
    assert.ok(summary.buckets >= 1, "wall-clock buckets closed");
    assert.equal(summary.targets, 1);
  });

  test("the follower starts at the end of an existing file by default, and idles without busy-looping", async () => {
    const path = join(dir, "existing.log");
    appendFileSync(path, lines(0, 5));
    const ac = new AbortController();
    let idle = 0;
    const f = new FileFollower(path, {
      pollMs: 50,
      signal: ac.signal,
      onIdle: () => {
        idle++;
      },
    });
    const got: string[] = [];
    const reading = (async () => {
      for await (const b of f.batches()) got.push(...b.lines);
    })();
    await sleep(120);
    appendFileSync(path, lines(5, 8));
    await until(() => got.length === 3, "new lines");
    await sleep(300);
    ac.abort();
    await reading;
    assert.deepEqual(
      got.map((l) => l.match(/\/p\/(\d+)/)?.[1]),
      ["5", "6", "7"],
    );
    assert.ok(idle >= 4 && idle <= 15, `${idle} polls in ~0.5 s at 50 ms`);
  });
});
