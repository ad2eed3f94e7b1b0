import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { UserError } from "../../src/core/errors.ts";
import { banFor, readBanLists } from "../../src/ingest/bans.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-bans-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const write = (content: string | Buffer, ext = "txt") => {
  const path = join(dir, `bans${fileNo++}.${ext}`);
  writeFileSync(path, content);
  return path;
};
const t = Date.UTC(2018, 3, 17, 8, 0, 0) / 1000;

describe("ban lists", () => {
  it("reads Banjax JSON lines, bare or wrapped in _source, with any time format", async () => {
    const f = write(
      [
        JSON.stringify({
          client_ip: "192.0.2.1",
          "@timestamp": "2018-04-17T08:00:00.000Z",
          rule: "wp-login",
          ua: "x",
        }),
        JSON.stringify({
          _source: { client_ip: "192.0.2.2", "@timestamp": "2018-04-17T10:00:10+02:00", rule: "flood" },
        }),
        JSON.stringify({ ip: "192.0.2.1", time: (t + 60) * 1000, reason: "challenge" }),
        JSON.stringify({ ip: "192.0.2.3", timestamp: "17/Apr/2018:08:00:20 +0000" }),
        "",
      ].join("\n"),
      "json",
    );
    const list = await readBanLists([f]);
    assert.equal(list.records, 4);
    assert.equal(list.bad.total, 0);
    assert.deepEqual(list.byIp.get("192.0.2.1"), [
      { time: t, rule: "wp-login" },
      { time: t + 60, rule: "challenge" },
    ]);
    assert.deepEqual(list.byIp.get("192.0.2.2"), [{ time: t + 10, rule: "flood" }]);
    assert.deepEqual(list.byIp.get("192.0.2.3"), [{ time: t + 20, rule: "" }]);
  });

  it("reads CSV ip,time,rule with a header, quotes and gzip", async () => {
    const csv = [
      "ip,time,rule",
      `"192.0.2.9","${t}","ua-block"`,
      `192.0.2.9, 2018-04-17T08:05:00Z , flood`,
      "",
    ].join("\r\n");
    const list = await readBanLists([write(gzipSync(csv), "csv.gz")]);
    assert.equal(list.records, 2);
    assert.deepEqual(list.byIp.get("192.0.2.9"), [
      { time: t, rule: "ua-block" },
      { time: t + 300, rule: "flood" },
    ]);
    const headerless = await readBanLists([write(`192.0.2.7,${t}\n`, "csv")]);
    assert.deepEqual(headerless.byIp.get("192.0.2.7"), [{ time: t, rule: "" }]);
  });

  it("counts bad records with their line numbers and keeps the good ones", async () => {
    const f = write(
      [
        `192.0.2.1,${t},a`,
        "{not json",
        `192.0.2.2,yesterday,b`,
        `,${t},c`,
        JSON.stringify({ rule: "no ip" }),
        `192.0.2.3,${t + 1},d`,
      ].join("\n"),
    );
    const list = await readBanLists([f]);
    assert.equal(list.records, 2);
    assert.deepEqual(list.bad.toJSON().byReason, { "bad-json": 1, "bad-time": 1, "bad-address": 2 });
    assert.deepEqual(
      list.bad.toJSON().examples["bad-address"]?.map((e) => `${e.file}:${e.line}`),
      [`${f}:4`, `${f}:5`],
    );
    assert.deepEqual(list.bad.toJSON().examples["bad-time"]?.[0].line, 3);
  });

  it("refuses a ban list without a single readable record", async () => {
    const f = write("garbage\nmore garbage\n");
    await assert.rejects(readBanLists([f]), (e: unknown) => e instanceof UserError && e.message.includes(f));
    // an empty list is no error
    assert.equal((await readBanLists([write("")])).records, 0);
  });

  it("finds the ban that fell within a session or one gap after it", async () => {
    const list = await readBanLists([write(`192.0.2.1,${t},early\n192.0.2.1,${t + 5000},late\n`)]);
    assert.equal(banFor(list, "192.0.2.1", t - 100, t + 100, 1800)?.rule, "early");
    assert.equal(banFor(list, "192.0.2.1", t, t, 1800)?.rule, "early");
    assert.equal(banFor(list, "192.0.2.1", t + 1, t + 3199, 1800)?.rule, undefined);
    assert.equal(banFor(list, "192.0.2.1", t + 1, t + 3200, 1800)?.rule, "late");
    assert.equal(banFor(list, "192.0.2.1", t + 5001, t + 9000, 1800), undefined);
    assert.equal(banFor(list, "192.0.2.2", t - 100, t + 100, 1800), undefined);
    assert.equal(banFor(undefined, "192.0.2.1", t - 100, t + 100, 1800), undefined);
  });
});
