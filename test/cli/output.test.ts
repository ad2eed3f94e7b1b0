import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { textOut } from "../../src/cli/output.ts";
import { UserError } from "../../src/core/errors.ts";

describe("textOut", () => {
  it("writes every piece in order, far more than it lets wait in memory", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "botscope-out-")), "big.csv");
    const out = textOut(file);
    const piece = `${"x".repeat(1 << 20)}\n`;
    for (let i = 0; i < 20; i++) await out.write(`${i},${piece}`);
    await out.close();
    const lines = readFileSync(file, "latin1").split("\n");
    assert.equal(lines.length, 21);
    for (let i = 0; i < 20; i++) assert.ok(lines[i].startsWith(`${i},xxx`));
    assert.equal(lines[5].length, (1 << 20) + 2);
  });

  it("turns a file it cannot write into a clear error naming it", async () => {
    const file = join(tmpdir(), "botscope-no-such-dir", "x", "out.csv");
    const out = textOut(file);
    await assert.rejects(
      async () => {
        await out.write("a,b\n");
        await out.close();
      },
      (e: Error) => e instanceof UserError && e.message.includes(file),
    );
  });
});
