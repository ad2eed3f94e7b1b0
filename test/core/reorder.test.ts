import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReorderBuffer } from "../../src/core/reorder.ts";

interface Item {
  time: number;
  id: number;
}

function run(times: number[], lateness: number): { out: Item[]; buffer: ReorderBuffer<Item> } {
  const out: Item[] = [];
  const buffer = new ReorderBuffer<Item>(lateness, (x) => out.push(x));
  for (const [id, time] of times.entries()) buffer.push({ time, id });
  buffer.flush();
  return { out, buffer };
}

describe("ReorderBuffer", () => {
  it("puts items late by up to the lateness back in time order, stable for equal times", () => {
    const { out, buffer } = run([10, 12, 11, 12, 15, 9, 30, 25, 31], 10);
    assert.deepEqual(
      out.map((x) => [x.time, x.id]),
      [
        [9, 5],
        [10, 0],
        [11, 2],
        [12, 1],
        [12, 3],
        [15, 4],
        [25, 7],
        [30, 6],
        [31, 8],
      ],
    );
    assert.equal(buffer.tooLate, 0);
  });

  it("passes items later than the lateness on at once and counts them", () => {
    const out: Item[] = [];
    const b = new ReorderBuffer<Item>(5, (x) => out.push(x));
    b.push({ time: 100, id: 0 });
    b.push({ time: 110, id: 1 }); // releases 100
    assert.deepEqual(
      out.map((x) => x.id),
      [0],
    );
    assert.equal(b.watermark, 105);
    b.push({ time: 104, id: 2 }); // before the watermark: too late, out at once
    b.push({ time: 106, id: 3 }); // in time: held, goes before 110
    assert.deepEqual(
      out.map((x) => x.id),
      [0, 2],
    );
    b.flush();
    assert.deepEqual(
      out.map((x) => x.id),
      [0, 2, 3, 1],
    );
    assert.equal(b.tooLate, 1);
  });

  it("gives a watermark no later than any item still to come in time", () => {
    const out: Item[] = [];
    const b = new ReorderBuffer<Item>(60, (x) => out.push(x));
    assert.equal(b.watermark, Number.NEGATIVE_INFINITY);
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < 20000; i++) {
      const time = i * 0.5 - rand() * 50; // up to 50 s late
      b.push({ time, id: i });
      for (const x of out) assert.ok(x.time <= b.watermark || b.tooLate > 0);
      out.length = 0;
    }
    assert.equal(b.tooLate, 0);
  });

  it("keeps every item over many compactions of its storage", () => {
    const times = Array.from({ length: 50000 }, (_, i) => i + (i % 3 === 0 ? -2 : 0));
    const { out } = run(times, 5);
    assert.equal(out.length, times.length);
    for (let i = 1; i < out.length; i++) assert.ok(out[i - 1].time <= out[i].time);
    assert.deepEqual(new Set(out.map((x) => x.id)).size, times.length);
  });
});
