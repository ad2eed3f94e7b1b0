import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { argusTime, durationText } from "../../src/ingest/capture/write.ts";

describe("binetflow text", () => {
  it("writes durations exactly as toFixed(6), for microsecond and nanosecond captures", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const values = [0, 1e-6, 5e-7, 1.5e-6, 2.5e-6, 0.9999995, 1, 59.999999, 3600, 86400.5, 1e7 + 0.25];
    for (let i = 0; i < 20000; i++) {
      // differences of timestamps as readers make them: seconds + usec / 1e6, or + nsec / 1e9
      const a = 1.7e9 + Math.floor(rand() * 1e6) + Math.floor(rand() * 1e6) / 1e6;
      const b = a + Math.floor(rand() * 100) + Math.floor(rand() * 1e6) / 1e6;
      values.push(b - a);
      const c = 1.7e9 + Math.floor(rand() * 1e9) / 1e9;
      values.push(c + Math.floor(rand() * 1e9) / 1e9 - c, (Math.floor(rand() * 2000) + 0.5) / 1e6);
    }
    for (const v of values) assert.equal(durationText(v), v.toFixed(6), String(v));
  });

  it("writes start times as Argus does, to the microsecond, across second and day boundaries", () => {
    const iso = (t: number) => {
      const us = Math.round(t * 1e6);
      const d = new Date(Math.floor(us / 1e6) * 1000).toISOString();
      return `${d.slice(0, 10).replaceAll("-", "/")} ${d.slice(11, 19)}.${String(us % 1e6).padStart(6, "0")}`;
    };
    const t0 = Date.UTC(2023, 11, 31, 23, 59, 59) / 1000;
    for (const t of [t0, t0 + 0.000001, t0 + 0.5, t0 + 0.9999994, t0 + 0.9999996, t0 + 1, t0 + 1.000123, 0]) {
      assert.equal(argusTime(t), iso(t), String(t));
    }
  });
});
