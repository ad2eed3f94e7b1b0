/**
 * The flow models on collected flows: a simulated capture with known infected hosts is exported as
 * IPFIX biflows (a capture of the export), collected into rolling files, a model is trained on the
 * collected files of one simulation and runs, live, on each rotated file of another. The infected hosts
 * must come out red, the normal ones not.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCollector } from "../../src/app/collect.ts";
import { trainFlows } from "../../src/app/flows.ts";
import { loadModelsDir } from "../../src/flows/models.ts";
import { readFlows } from "../../src/ingest/flows/reader.ts";
import { copyFlow, type Flow } from "../../src/ingest/flows/record.ts";
import {
  flowRecord,
  flowTemplate,
  ipfixMessage,
  type TemplateSpec,
} from "../../src/ingest/netflow/encode.ts";
import { type FlowGroundTruth, writeFlowSimulation } from "../../src/simulate/flows.ts";
import { writeExportPcap } from "../helpers/netflow-export.ts";

const dir = mkdtempSync(join(tmpdir(), "botscope-collect-detect-"));

/** IPFIX biflow template: the usual fields plus RFC 5103 reverse packets and bytes. */
const BIFLOW: TemplateSpec = {
  id: 256,
  fields: [
    ...flowTemplate(256, false, true).fields,
    { ie: 2, length: 4, pen: 29305 },
    { ie: 1, length: 8, pen: 29305 },
  ],
};

/** A simulated capture exported as IPFIX: the pcap of the export, and the ground truth. */
async function simulatedExport(seed: number): Promise<{ pcap: string; truth: FlowGroundTruth }> {
  const file = join(dir, `sim-${seed}.binetflow`);
  const truth = await writeFlowSimulation(
    { seed, hours: 2, backgroundFlowsPerMinute: 60 },
    file,
    join(dir, `sim-${seed}.json`),
  );
  const flows: Flow[] = [];
  await readFlows([file], { format: "binetflow" }, (f) => {
    if (!f.srcAddr.includes(":") && !f.dstAddr.includes(":")) flows.push(copyFlow(f));
  });
  flows.sort((a, b) => a.start - b.start);
  const datagrams: Uint8Array[] = [];
  const times: number[] = [];
  for (let i = 0; i < flows.length; i += 20) {
    const chunk = flows.slice(i, i + 20);
    const at = chunk[chunk.length - 1].start;
    datagrams.push(
      ipfixMessage({ exportSecs: Math.floor(at), sequence: i, domain: 0 }, [
        { templates: [BIFLOW] },
        {
          dataId: 256,
          template: BIFLOW,
          records: chunk.map((f) => [...flowRecord(f, true), f.dstPkts ?? 0, f.totBytes - f.srcBytes]),
        },
      ]),
    );
    times.push(at);
  }
  const pcap = join(dir, `export-${seed}.pcap`);
  writeExportPcap(pcap, datagrams, "192.0.2.1", 4739, times);
  return { pcap, truth };
}

describe("flow models on collected flows", () => {
  it("finds the infected hosts of a simulated capture exported over IPFIX", async () => {
    const train = await simulatedExport(6);
    const collected = await runCollector({
      pcap: [train.pcap],
      write: { dir: join(dir, "train"), format: "binetflow", rotateSeconds: 3600 },
    });
    const labels = join(dir, "train-labels.csv");
    const rows = Object.entries(train.truth.hosts)
      .filter(([, h]) => h.role !== "p2p")
      .map(([ip, h]) => `${ip},,,${h.role === "infected" ? "botnet" : "normal"}`);
    writeFileSync(labels, `host,from,to,class\n${rows.join("\n")}\n`);
    const modelsDir = join(dir, "models");
    mkdirSync(modelsDir);
    await trainFlows({
      files: collected.files,
      labelsFile: labels,
      unlisted: "background",
      modelPath: join(modelsDir, "collected.model"),
      windowSeconds: 300,
      stepSeconds: 150,
      trees: 30,
      seed: 1,
    });
    const test = await simulatedExport(5);
    const { models } = await loadModelsDir(modelsDir);
    const live = await runCollector({
      pcap: [test.pcap],
      write: { dir: join(dir, "live"), format: "binetflow", rotateSeconds: 3600 },
      detect: { models, internal: [test.truth.internal] },
    });
    assert.equal(live.detections?.length, live.files.length);
    const red = new Set(live.detections?.flatMap((d) => d.red));
    const hosts = Object.entries(test.truth.hosts);
    const infected = hosts.filter(([, h]) => h.role === "infected").map(([ip]) => ip);
    const normal = hosts.filter(([, h]) => h.role === "normal").map(([ip]) => ip);
    for (const ip of infected) assert.ok(red.has(ip), `${ip} (infected) not red`);
    for (const ip of normal) assert.ok(!red.has(ip), `${ip} (normal) red`);
  });
});
