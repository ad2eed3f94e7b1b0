import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { UserError } from "../../src/core/errors.ts";
import { expandInputs, type LineBatch, OVERSIZED_LINE, readLineBatches } from "../../src/ingest/source.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const dir = mkdtempSync(join(tmpdir(), "botscope-source-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

function write(content: string | Buffer, name = `f${fileNo++}.log`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function batches(file: string, opts: { maxLineBytes?: number } = {}): Promise<LineBatch[]> {
  const out: LineBatch[] = [];
  for await (const b of readLineBatches(file, opts)) out.push(b);
  return out;
}

/** All lines of a file, checking on the way that batch numbering is contiguous from 1. */
async function lines(file: string, opts: { maxLineBytes?: number } = {}): Promise<string[]> {
  const out: string[] = [];
  for (const b of await batches(file, opts)) {
    assert.equal(b.file, file);
    assert.equal(b.firstLine, out.length + 1, "batches number their lines contiguously from 1");
    out.push(...b.lines);
  }
  return out;
}

describe("readLineBatches", () => {
  it("splits LF and CRLF lines, keeps empty lines and a final line without newline", async () => {
    const f = write("a\nbb\r\n\r\n\nlast");
    assert.deepEqual(await lines(f), ["a", "bb", "", "", "last"]);
    assert.deepEqual(await lines(write("one\ntwo\n")), ["one", "two"]);
    assert.deepEqual(await lines(write("only")), ["only"]);
    assert.deepEqual(await lines(write("\n")), [""]);
  });

  it("gives no batch for an empty file", async () => {
    assert.deepEqual(await batches(write("")), []);
  });

  it("decodes bytes as latin1: one char per byte, losslessly", async () => {
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9, 0x0a, 0xff, 0x00, 0x80, 0x0a]);
    const got = await lines(write(bytes));
    assert.deepEqual(got, ["caf\u00c3\u00a9", "\u00ff\u0000\u0080"]);
    assert.equal(Buffer.from(got[0], "latin1").toString("utf8"), "café");
  });

  it("replaces a line longer than maxLineBytes by OVERSIZED_LINE and keeps the numbering", async () => {
    const f = write(`${"x".repeat(100)}\n${"y".repeat(101)}\nafter\n${"z".repeat(500)}`);
    assert.deepEqual(await lines(f, { maxLineBytes: 100 }), [
      "x".repeat(100),
      OVERSIZED_LINE,
      "after",
      OVERSIZED_LINE,
    ]);
  });

  it("drops an oversized line spanning several 1 MiB read chunks without losing its neighbours", async () => {
    const big = "q".repeat(3.5 * (1 << 20));
    const content = `first\n${"a".repeat((1 << 20) - 10)}\nsecond\n${big}\nthird\n${big}\nfourth`;
    const got = await lines(write(content));
    assert.deepEqual(got, [
      "first",
      OVERSIZED_LINE,
      "second",
      OVERSIZED_LINE,
      "third",
      OVERSIZED_LINE,
      "fourth",
    ]);
  });

  it("keeps a long line spanning several chunks whole when the limit allows it", async () => {
    const long = `${Array.from({ length: 300_000 }, (_, i) => String(i % 10)).join("")}end`;
    const big = long.repeat(10); // ~3 MiB
    const got = await lines(write(`a\n${big}\r\nb\n`), { maxLineBytes: 4 << 20 });
    assert.equal(got.length, 3);
    assert.equal(got[0], "a");
    assert.equal(got[1].length, big.length);
    assert.ok(got[1] === big, "the carried line is reassembled exactly, CR removed");
    assert.equal(got[2], "b");
  });

  it("gunzips input that starts with the gzip magic bytes, whatever its name", async () => {
    const text = Array.from({ length: 60_000 }, (_, i) => `line ${i} ${"p".repeat(i % 50)}`).join("\n");
    const expected = text.split("\n");
    assert.deepEqual(await lines(write(gzipSync(text), "a.log.gz")), expected);
    assert.deepEqual(await lines(write(gzipSync(`${text}\n`), "gzipped-but-named.log")), expected);
    // a plain file named .gz is read as plain text
    assert.deepEqual(await lines(write("plain\ntext\n", "plain.gz")), ["plain", "text"]);
    // CRLF and an unterminated last line inside gzip
    assert.deepEqual(await lines(write(gzipSync("x\r\ny"), "crlf.gz")), ["x", "y"]);
    // an empty gzip member
    assert.deepEqual(await lines(write(gzipSync(""), "empty.gz")), []);
  });

  it("reports a corrupt gzip file as a UserError naming the file", async () => {
    const gz = gzipSync("a\n".repeat(10_000));
    const f = write(gz.subarray(0, gz.length - 20), "cut.gz");
    await assert.rejects(lines(f), (e: unknown) => e instanceof UserError && e.message.startsWith(`${f}: `));
    const g = write(Buffer.concat([gz.subarray(0, 10), Buffer.alloc(200, 0x41)]), "garbled.gz");
    await assert.rejects(lines(g), (e: unknown) => e instanceof UserError && e.message.includes(g));
  });

  it('reads stdin for "-", plain and gzipped', () => {
    const script = join(dir, "read-stdin.mts");
    writeFileSync(
      script,
      `import { readLineBatches } from ${JSON.stringify(pathToFileURL(join(root, "src/ingest/source.ts")).href)};\n` +
        "const out = [];\n" +
        'for await (const b of readLineBatches("-")) out.push({ file: b.file, firstLine: b.firstLine, lines: b.lines });\n' +
        "process.stdout.write(JSON.stringify(out));\n",
    );
    const text = Array.from({ length: 30_000 }, (_, i) => `stdin line ${i}`).join("\r\n");
    const expected = text.split("\r\n");
    for (const input of [Buffer.from(text, "latin1"), gzipSync(text)]) {
      const child = spawnSync(process.execPath, ["--import", "tsx", script], {
        cwd: root,
        input,
        maxBuffer: 64 << 20,
      });
      assert.equal(child.status, 0, child.stderr.toString());
      const got = JSON.parse(child.stdout.toString()) as LineBatch[];
      assert.ok(got.every((b) => b.file === "-"));
      let next = 1;
      for (const b of got) {
        assert.equal(b.firstLine, next);
        next += b.lines.length;
      }
      assert.deepEqual(
        got.flatMap((b) => b.lines),
        expected,
      );
    }
  });
});

describe("expandInputs", () => {
  const g = join(dir, "glob");
  mkdirSync(g);
  for (const f of ["b.log", "a.log", "c.log.gz", "notes.txt"]) writeFileSync(join(g, f), "x\n");
  mkdirSync(join(g, "sub"));
  mkdirSync(join(g, "dir.log"));
  writeFileSync(join(g, "sub", "d.log"), "x\n");

  it("keeps files and '-' in the order given", () => {
    const files = [join(g, "c.log.gz"), "-", join(g, "a.log")];
    assert.deepEqual(expandInputs(files), files);
  });

  it("expands globs sorted, files only, in place among the other inputs", () => {
    assert.deepEqual(expandInputs([join(g, "notes.txt"), join(g, "*.log*"), "-"]), [
      join(g, "notes.txt"),
      join(g, "a.log"),
      join(g, "b.log"),
      join(g, "c.log.gz"),
      "-",
    ]);
    assert.deepEqual(expandInputs([join(g, "**/*.log")]), [
      join(g, "a.log"),
      join(g, "b.log"),
      join(g, "sub", "d.log"),
    ]);
    assert.deepEqual(expandInputs([join(g, "?.log")]), [join(g, "a.log"), join(g, "b.log")]);
  });

  it("expands relative globs relative to the working directory", () => {
    const cwd = process.cwd();
    process.chdir(g);
    try {
      assert.deepEqual(expandInputs(["*.log", "sub/*"]), ["a.log", "b.log", join("sub", "d.log")]);
    } finally {
      process.chdir(cwd);
    }
  });

  it("gives a clear UserError for a missing file, a directory or a glob matching no file", () => {
    const missing = join(g, "missing.log");
    assert.throws(() => expandInputs([missing]), new UserError(`${missing}: no such file`));
    assert.throws(() => expandInputs([join(g, "sub")]), new UserError(`${join(g, "sub")}: is a directory`));
    assert.throws(
      () => expandInputs([join(g, "*.csv")]),
      new UserError(`${join(g, "*.csv")}: no file matches`),
    );
    // a pattern matching only directories matches no file
    assert.throws(() => expandInputs([join(g, "s*")]), /no file matches/);
    assert.throws(
      () => expandInputs([join(g, "a.log"), missing]),
      (e: unknown) => e instanceof UserError && e.exitCode === 1,
    );
  });
});
