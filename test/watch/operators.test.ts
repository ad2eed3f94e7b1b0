import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AnomalyTransition, anomalyMessage, IncidentOperator } from "../../src/watch/incidents.ts";
import { type BucketPoint, SeriesOperator } from "../../src/watch/series.ts";

const point = (target: string, start: number, score: number, failures = 100): BucketPoint => ({
  target,
  start,
  end: start + 120,
  requests: 200,
  failures,
  ips: 10,
  values: { success_ratio: 0.5, request_rate: 100, ip_rate: 5 },
  scores: { success_ratio: score, request_rate: 0, ip_rate: 0 },
});

describe("series operator", () => {
  test("buckets per target: success ratio, rates per minute, empty buckets as no traffic", () => {
    const out: BucketPoint[] = [];
    const s = new SeriesOperator({ intervalSeconds: 120, clock: "log" }, (p) => out.push(p));
    s.push("a", 1000, 200, "1.1.1.1"); // bucket 960
    s.push("a", 1010, 500, "1.1.1.2");
    s.push("b", 1020, 302, "1.1.1.1");
    s.push("a", 1090, 404, "1.1.1.1"); // bucket 1080: closes 960
    s.push("a", 1500, 200, "1.1.1.1"); // bucket 1440: closes 1080, 1200, 1320
    assert.deepEqual(
      out.map((p) => [
        p.target,
        p.start,
        p.requests,
        p.failures,
        p.values.success_ratio,
        p.values.request_rate,
        p.values.ip_rate,
      ]),
      [
        ["a", 960, 2, 1, 0.5, 1, 1],
        ["b", 960, 1, 0, 1, 0.5, 0.5],
        ["a", 1080, 1, 1, 0, 0.5, 0.5],
        ["b", 1080, 0, 0, 1, 0, 0],
        ["a", 1200, 0, 0, 1, 0, 0],
        ["b", 1200, 0, 0, 1, 0, 0],
        ["a", 1320, 0, 0, 1, 0, 0],
        ["b", 1320, 0, 0, 1, 0, 0],
      ],
    );
    for (const p of out) for (const v of Object.values(p.scores)) assert.ok(v >= 0 && v <= 1);
  });

  test("wall clock: late and early requests count in the open bucket; advance closes buckets", () => {
    const out: BucketPoint[] = [];
    const s = new SeriesOperator({ intervalSeconds: 10, clock: "wall" }, (p) => out.push(p));
    s.start(1005);
    s.push("a", 990, 200, "x"); // late
    s.push("a", 1500, 200, "y"); // skewed into the future
    s.advance(1009);
    assert.equal(out.length, 0);
    s.advance(1030);
    assert.deepEqual(
      out.map((p) => [p.start, p.requests]),
      [
        [1000, 2],
        [1010, 0],
        [1020, 0],
      ],
    );
    assert.equal(s.late, 1);
    assert.equal(s.early, 1);
  });
});

describe("incident operator", () => {
  const run = (points: BucketPoint[], opts = {}) => {
    const out: AnomalyTransition[] = [];
    const op = new IncidentOperator({ threshold: 0.95, holdSeconds: 600, ...opts }, (t) => out.push(t));
    for (const p of points) op.observe(p);
    return { op, out };
  };

  test("opens on score > threshold, extends while anomalous, closes after the hold", () => {
    const scores = [0.1, 0.96, 0.5, 0.99, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2];
    const { out } = run(scores.map((s, i) => point("a", i * 120, s)));
    assert.equal(out.length, 2);
    const [start, stop] = out;
    assert.equal(start.kind, "started");
    assert.equal(start.start, 120);
    assert.equal(stop.kind, "stopped");
    // last anomalous bucket [360, 480) + 600 s hold
    assert.equal(stop.kind === "stopped" && stop.stop, 1080);
    assert.equal(stop.kind === "stopped" && stop.anomalousBuckets, 2);
    assert.equal(stop.kind === "stopped" && stop.maxScore, 0.99);
    const m = anomalyMessage(start, 7);
    assert.deepEqual(Object.keys(m).slice(0, 1), ["message_type"]);
    assert.equal(m.message_type, "anomaly_started");
    assert.equal(m.channel, "HTTP_response");
    assert.equal(m.anomaly_rate, 0.96);
    assert.equal(m.time_stamp, "1970-01-01T00:02:00.000Z");
    assert.equal(m.incident_id, 7);
    assert.equal(anomalyMessage(stop, 7).message_type, "anomaly_stopped");
  });

  test("exactly the threshold is not an anomaly; few failures do not count for the success ratio", () => {
    assert.equal(run([point("a", 0, 0.95)]).out.length, 0);
    assert.equal(run([point("a", 0, 1, 3)]).out.length, 0);
    assert.equal(run([point("a", 0, 1, 3)], { minFailures: 1 }).out.length, 1);
  });

  test("targets are independent; learning time; closeAll ends what is open", () => {
    const { op, out } = run([point("a", 0, 1), point("b", 0, 0), point("b", 120, 1), point("a", 240, 1)], {
      learnSeconds: 120,
    });
    assert.deepEqual(
      out.map((t) => [t.kind, t.target, t.start]),
      [
        ["started", "b", 120],
        ["started", "a", 240],
      ],
    );
    op.closeAll("end_of_input");
    assert.deepEqual(
      out
        .slice(2)
        .map((t) => [t.kind, t.target, t.kind === "stopped" ? t.stop : 0, t.kind === "stopped" && t.reason]),
      [
        ["stopped", "a", 360, "end_of_input"],
        ["stopped", "b", 240, "end_of_input"],
      ],
    );
    assert.equal(op.isOpen("a"), false);
  });
});
