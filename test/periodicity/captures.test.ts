/**
 * Real captures (../shared/data/periodicity): the nfcapd files of test-cc-capture-1 show the ~2 s C&C
 * pair, those of test-cc-capture-2 the jittered 2-3 s one, reported with lower confidence; the DNS
 * lookups beside it are not reported. nfcapd files are read through the nfdump program: skipped when
 * it or the data is absent.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runBeacons } from "../../src/app/beacons.ts";
import type { KeepAliveResult, PeriodicContact } from "../../src/periodicity/keepalive.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const data = join(root, "../shared/data/periodicity");
const nfdump = spawnSync("nfdump", ["-V"], { encoding: "utf8" });
const files = (n: number) => {
  const dir = join(data, `nfcapd_from_test-cc-${n}`);
  return existsSync(dir)
    ? readdirSync(dir)
        .sort()
        .map((f) => join(dir, f))
    : [];
};
const skip = nfdump.error
  ? "nfdump is not installed"
  : files(1).length === 0 || files(2).length === 0
    ? `capture data absent (${data})`
    : false;

async function contacts(n: number): Promise<{ k: KeepAliveResult; c?: PeriodicContact; format: string }> {
  const run = await runBeacons({ files: files(n), mode: "keepalive" });
  const k = run.keepalive as KeepAliveResult;
  return { k, c: k.contacts.find((x) => x.host === "147.32.80.37"), format: run.format };
}

describe("test-cc captures (nfcapd through nfdump)", { skip }, () => {
  it("capture 1: the ~2 s C&C pair, both directions, high confidence", async () => {
    const { k, c, format } = await contacts(1);
    assert.equal(format, "nfcapd");
    assert.ok(c, JSON.stringify(k.contacts));
    assert.equal(c.peer, "141.193.213.21");
    assert.equal(c.proto, "tcp");
    assert.equal(c.port, 443);
    assert.equal(c.direction, "both");
    assert.ok(c.periodMs > 2000 && c.periodMs < 2400, `period ${c.periodMs}`);
    assert.ok(c.confidence >= 0.8, `confidence ${c.confidence}`);
    assert.ok(c.contacts > 250);
    assert.deepEqual(
      k.hosts.map((h) => h.host),
      ["147.32.80.37"],
    );
  });

  it("capture 2: the jittered 2-3 s pair, reported with lower confidence; DNS not reported", async () => {
    const one = await contacts(1);
    const { k, c } = await contacts(2);
    assert.ok(c, JSON.stringify(k.contacts));
    assert.equal(c.peer, "141.193.213.20");
    assert.ok(c.periodMs > 2000 && c.periodMs < 4000, `period ${c.periodMs}`);
    assert.ok(c.confidence >= 0.5, `confidence ${c.confidence}`);
    assert.ok(c.confidence < (one.c?.confidence ?? 0), `${c.confidence} vs ${one.c?.confidence}`);
    assert.ok(c.phaseStability < 0.7, "no stable phase: a beacon, not a keep-alive");
    assert.ok(!k.contacts.some((x) => x.port === 53 || x.peer === "147.32.80.9"));
  });

  it("relbot mode reads the same files through nfdump (its periods are 10-40 min: nothing found)", async () => {
    const run = await runBeacons({ files: files(1), mode: "relbot" });
    assert.equal(run.format, "nfcapd");
    assert.ok(run.flows > 500);
    assert.equal(run.relbot?.hosts.length, 0);
  });
});
