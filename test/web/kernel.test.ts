import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { kernelAvailable } from "../../src/ingest/weblog/kernel.ts";
import { readWebLogFacts, type WeblogOptions, type WeblogStats } from "../../src/ingest/weblog/reader.ts";
import { simulateWeb } from "../../src/simulate/web.ts";
import { runWebSessions } from "../../src/web/pipeline.ts";
import { emptyFacts, type RequestFacts, RequestTables } from "../../src/web/request-facts.ts";
import { combined, common, seeded, T0 } from "../ingest/lines.ts";

/**
 * The WebAssembly kernel must give exactly what the JavaScript parser gives: every line's facts (ids
 * compared as the strings they stand for), the bad-line report, and the sessions. Lines it does not
 * accept go to the JavaScript parser, so each kind of unusual line below must come out the same.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "botscope-kernel-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function write(lines: string[], ending = "\n"): string {
  const path = join(dir, `k${fileNo++}.log`);
  writeFileSync(path, Buffer.from(lines.join(ending) + ending, "latin1"));
  return path;
}

type Fact = Omit<RequestFacts, "ip" | "host" | "userAgent"> & {
  ip: string;
  host: string | null;
  userAgent: string | null;
};

async function facts(file: string, opts: WeblogOptions): Promise<{ facts: Fact[]; stats: WeblogStats }> {
  const tables = new RequestTables();
  const raw: RequestFacts[] = [];
  const stats = await readWebLogFacts([file], opts, tables, emptyFacts, (f) => raw.push(f));
  const out = raw.map((f) => ({
    ...f,
    ip: tables.ips.names[f.ip],
    host: tables.hostName(f.host),
    userAgent: f.userAgent < 0 ? null : tables.userAgents.strings[f.userAgent],
  }));
  return { facts: out, stats };
}

/** Both readers on one file: the same facts line by line and the same report; returns the kernel's. */
async function same(file: string, opts: WeblogOptions = { format: "combined" }) {
  const js = await facts(file, { ...opts, kernel: false });
  const wasm = await facts(file, { ...opts, kernel: true });
  assert.equal(wasm.facts.length, js.facts.length);
  for (let i = 0; i < js.facts.length; i++) assert.deepEqual(wasm.facts[i], js.facts[i], `request ${i}`);
  assert.deepEqual({ ...wasm.stats, kernelLines: 0 }, { ...js.stats, kernelLines: 0 });
  assert.equal(js.stats.kernelLines, 0);
  return wasm;
}

describe("WebAssembly kernel for combined and common logs", () => {
  it("is built (npm ci and npm test build it)", () => {
    assert.equal(kernelAvailable(), true);
  });

  it("reads a simulated day exactly as the JavaScript parser, itself nearly all of it", async () => {
    const { lines } = simulateWeb({ seed: 3, hours: 6 });
    const file = write(lines);
    const { facts: got, stats } = await same(file);
    assert.ok(got.length > 10_000);
    assert.ok(stats.kernelLines! > 0.99 * stats.lines, `${stats.kernelLines} of ${stats.lines}`);

    // and the sessions of both are the same
    const sessions = async (kernel: boolean) => {
      const out: unknown[] = [];
      await runWebSessions(
        [file],
        { gapSeconds: 1800, key: "ip", compat: false, weblog: { format: "combined", kernel } },
        (target, s) => out.push([target, s]),
      );
      return out;
    };
    assert.deepEqual(await sessions(true), await sessions(false));
  });

  it("reads vhost_combined logs the same (sites first, several sites, odd spellings)", async () => {
    const { lines } = simulateWeb({ seed: 4, hours: 3, vhost: true });
    const odd = [
      `- ${lines[0].slice(lines[0].indexOf(" ") + 1)}`,
      `Shop.Example.ORG ${lines[1].slice(lines[1].indexOf(" ") + 1)}`,
      ` ${lines[2].slice(lines[2].indexOf(" ") + 1)}`,
      `example.org:8080 ${lines[3].slice(lines[3].indexOf(" ") + 1)}`,
      lines[4].slice(lines[4].indexOf(" ") + 1), // no site: the IP is read as the site
    ];
    const { facts: got, stats } = await same(write([...odd, ...lines]), { format: "vhost_combined" });
    assert.ok(got.length > 10_000);
    assert.ok(stats.kernelLines! > 0.99 * stats.lines, `${stats.kernelLines} of ${stats.lines}`);
    assert.ok(new Set(got.map((f) => f.host)).size >= 3, "several sites");
  });

  it("reads gzip files and stdin the same as the plain file", async () => {
    const { lines } = simulateWeb({ seed: 8, hours: 2 });
    const plain = write(lines);
    const gz = join(dir, "sim.log.gz");
    writeFileSync(gz, gzipSync(readFileSync(plain)));
    const expected = await facts(plain, { format: "combined" });
    assert.ok(expected.stats.kernelLines! > 0.99 * expected.stats.lines);
    assert.deepEqual((await facts(gz, { format: "combined" })).facts, expected.facts);
    const script = join(dir, "stdin-facts.mts");
    const src = (f: string) => JSON.stringify(pathToFileURL(join(root, f)).href);
    writeFileSync(
      script,
      `import { readWebLogFacts } from ${src("src/ingest/weblog/reader.ts")};\n` +
        `import { emptyFacts, RequestTables } from ${src("src/web/request-facts.ts")};\n` +
        "const tables = new RequestTables();\nconst out = [];\n" +
        'const stats = await readWebLogFacts(["-"], { format: "combined" }, tables, emptyFacts, (f) =>\n' +
        "  out.push({ ...f, ip: tables.ips.names[f.ip], host: tables.hostName(f.host),\n" +
        "    userAgent: f.userAgent < 0 ? null : tables.userAgents.strings[f.userAgent] }));\n" +
        "process.stdout.write(JSON.stringify({ out, kernelLines: stats.kernelLines }));\n",
    );
    for (const input of [readFileSync(plain), readFileSync(gz)]) {
      const child = spawnSync(process.execPath, ["--import", "tsx", script], {
        cwd: root,
        input,
        maxBuffer: 256 << 20,
      });
      assert.equal(child.status, 0, child.stderr.toString());
      const got = JSON.parse(child.stdout.toString());
      assert.equal(got.kernelLines, expected.stats.kernelLines);
      assert.deepEqual(got.out, expected.facts);
    }
  });

  it("reads common logs the same (no user agent)", async () => {
    const rand = seeded(2);
    const lines = Array.from({ length: 3000 }, (_, i) =>
      common({
        ip: `10.0.${Math.floor(rand() * 4)}.${Math.floor(rand() * 250) + 1}`,
        time: T0 + i,
        path: `/p/${Math.floor(rand() * 50)}.${["html", "png", "css", "js", "PHP"][i % 5]}`,
        bytes: i % 7 === 0 ? "-" : i * 13,
        status: [200, 304, 404, 503][i % 4],
      }),
    );
    const { facts: got, stats } = await same(write(lines), { format: "common" });
    assert.equal(got.length, 3000);
    assert.equal(stats.kernelLines, 3000);
    assert.ok(got.every((f) => f.userAgent === null));
  });

  it("hands every unusual line to the JavaScript parser: same facts, same bad-line report", async () => {
    const base = { ip: "192.0.2.1", time: T0, path: "/a/b.html" };
    const l = (over: Partial<Parameters<typeof combined>[0]>) => combined({ ...base, ...over });
    const good = l({});
    const unusual = [
      l({ ip: "2001:db8::1" }),
      l({ ip: "010.0.0.1" }),
      l({ ip: "256.1.1.1" }),
      l({ ip: "1.2.3" }),
      l({ ua: 'Mozilla \\"quoted\\" agent' }),
      l({ ua: "-" }),
      l({ ua: "" }),
      l({ referer: 'http://x/\\"' }),
      l({ path: '/a\\"b' }),
      good.replace("GET /a/b.html HTTP/1.1", "GET /"),
      good.replace("GET /a/b.html HTTP/1.1", "GET /a/b.html"),
      good.replace("GET /a/b.html HTTP/1.1", "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03"),
      good.replace("GET /a/b.html HTTP/1.1", ""),
      good.replace("GET /a/b.html HTTP/1.1", " /a HTTP/1.1"),
      good.replace("GET /a/b.html HTTP/1.1", "GET /a b/c.png HTTP/1.1"),
      good.replace("GET /a/b.html HTTP/1.1", "GET /a/b.html HTTP"),
      good.replace("GET /a/b.html HTTP/1.1", "GET /a/b.html HTTP/"),
      good.replace(":10:05:03 +0000]", ":10:05:03.250 +0000]"),
      good.replace(":10:05:03 +0000]", ":10:05:03 +02:00]"),
      good.replace(":10:05:03 +0000]", ":10:05:03 Z]"),
      good.replace(":10:05:03 +0000]", ":10:05:03]"),
      good.replace("17/May/2015", "17/may/2015"),
      good.replace("17/May/2015", "32/May/2015"),
      good.replace("17/May/2015", "17/Feb/0000"),
      good.replace("17/May/2015", "01/Jan/0001"),
      good.replace(":10:05:03", ":24:05:03"),
      good.replace(":10:05:03", ":10:05:69"),
      good.replace(":10:05:03", ":10:05:70"),
      good.replace(" 200 ", " 600 "),
      good.replace(" 200 ", " 20x "),
      good.replace(" 200 ", " 2000 "),
      good.replace(" 100 ", " - "),
      good.replace(" 100 ", "  "),
      good.replace(" 100 ", " 123456789012345 "),
      good.replace(" 100 ", " 1234567890123456 "),
      good.replace(" 100 ", " 12a "),
      `${good} "extra" "fields"`,
      `${good}trailing`,
      good.slice(0, -1),
      good.slice(0, 60),
      good.slice(0, 30),
      "",
      "   ",
      "\u0000\u0001binary\u00ff\u00fe garbage that is long enough to pass the length check",
      l({ path: "/caf\u00e9/\u00e0.PNG", ua: "Agent \u00e9\u00ff" }),
      l({ path: "/x.JpEg", query: "" }),
      l({ path: "/x.tar.gz", query: "a=1&b=2" }),
      l({ path: "/.htaccess" }),
      l({ path: "/dir.d/file" }),
      l({ path: "/x.abcdef" }),
      l({ method: "POST" }),
      l({ method: "HEAD" }),
      l({ method: "post" }),
      l({ method: "PUTS" }),
      l({ protocol: "HTTP/2.0" }),
      l({ tz: "-0530" }),
      l({ tz: "+1400" }),
      good.replace("192.0.2.1 - -", "192.0.2.1 - alice"),
      good.replace("192.0.2.1 - -", "192.0.2.1 - al ice"),
      good.replace("192.0.2.1 - -", "192.0.2.1 -- -"),
    ];
    // each unusual line between good ones, so a wrong step would shift the next line's facts
    const lines = unusual.flatMap((u, i) => [u, l({ time: T0 + i, path: `/after/${i}` })]);
    const { stats } = await same(write(lines));
    assert.ok(stats.bad.total >= 15, `${stats.bad.total} bad lines`);
    assert.ok(stats.kernelLines! >= unusual.length, "the good lines between them");
    // the same with CRLF line ends and a final line without its newline
    const crlf = join(dir, "crlf.log");
    writeFileSync(crlf, Buffer.from(lines.join("\r\n"), "latin1"));
    await same(crlf);
  });

  it("counts oversized lines at their place and reads the lines around them", async () => {
    const lines = [
      combined({ ip: "192.0.2.1", time: T0, path: "/a" }),
      combined({ ip: "192.0.2.2", time: T0, path: `/${"x".repeat(3000)}` }),
      combined({ ip: "192.0.2.3", time: T0, path: "/c" }),
    ];
    const { stats } = await same(write(lines), { format: "combined", maxLineBytes: 1000 });
    assert.deepEqual(stats.bad.toJSON().byReason, { oversized: 1 });
    assert.equal(stats.requests, 2);
  });

  it("survives random bytes, mangled lines and blocks of more lines than its record area", async () => {
    const rand = seeded(4);
    const good = (i: number) => combined({ ip: `192.0.2.${i % 200}`, time: T0 + i, path: `/g/${i}` });
    const lines: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const r = rand();
      if (r < 0.2) {
        let s = "";
        const n = Math.floor(rand() * 300);
        for (let k = 0; k < n; k++) s += String.fromCharCode(Math.floor(rand() * 256));
        lines.push(s.replace(/[\r\n]/g, " "));
      } else if (r < 0.4) {
        // a good line with one byte changed or cut short
        const g = good(i);
        const at = Math.floor(rand() * g.length);
        lines.push(
          rand() < 0.5
            ? g.slice(0, at)
            : g.slice(0, at) + String.fromCharCode(Math.floor(rand() * 256)) + g.slice(at + 1),
        );
      } else lines.push(good(i));
    }
    for (let i = 0; i < 20_000; i++) lines.push("");
    lines.push(good(99_999));
    const { stats } = await same(write(lines.map((s) => s.replace(/\n/g, " "))));
    assert.equal(stats.lines, 24_001);
  });

  it("keeps user-agent ids consistent across clients, switches, many agents and both parsers", async () => {
    const rand = seeded(9);
    const agents = Array.from({ length: 5000 }, (_, i) => `Agent/${i} (${"z".repeat(i % 40)})`);
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const client = Math.floor(rand() * 6000);
      // a client keeps its agent mostly, switches sometimes; some clients are IPv6 (the JavaScript parser)
      const ua = agents[rand() < 0.8 ? client % agents.length : Math.floor(rand() * agents.length)];
      const ip =
        client % 17 === 0 ? `2001:db8::${client.toString(16)}` : `10.${client >> 8}.${client & 255}.1`;
      lines.push(combined({ ip, time: T0 + i, path: `/p${i % 300}`, ua }));
    }
    const { facts: got, stats } = await same(write(lines));
    assert.equal(got.length, 30_000);
    assert.ok(stats.kernelLines! > 25_000);
  });
});
