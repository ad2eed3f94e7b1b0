/**
 * The random forest model file, version 1:
 *
 *   line 1   `botscope-forest 1`                      magic and format version
 *   line 2   one line of JSON, the header (below)
 *   rest     the payload: little-endian arrays back to back, where the header says
 *
 * Header: `format` ("botscope-forest"), `version` (1), `created` (ISO time), `classes` (the label values,
 * in the order of predict_proba's columns), `features` ([{ name, edges }] — a split on feature f at bin b
 * means "value <= edges[b]" goes left), `params` (the training options), `trees`, `nodes`,
 * `importances` (mean decrease in gini per feature, summing to 1), `training` ({ rows, classCounts }),
 * `meta` (application data, e.g. how flow features are computed), `arrays` (name -> { type, offset,
 * length } in the payload) and `sha256` (hex digest of the payload).
 *
 * Arrays: `feature` int32 per node (-1 for a leaf), `bin` uint8 per node (split bin), `right` int32 per node
 * (index of the right child in the whole forest; the left child is the next node), `value` float64 per
 * node and class (the leaf's class probabilities), `roots` int32 per tree (index of its root node).
 * Nodes of a tree are in preorder and contiguous.
 */
import { createHash } from "node:crypto";
import { type ForestParams, type ForestParts, RandomForest } from "./forest.ts";

export const FOREST_FORMAT = "botscope-forest";
export const FOREST_VERSION = 1;

/** A model file that cannot be read: the message says why, for the person who gave the file. */
export class ModelFormatError extends Error {
  override name = "ModelFormatError";
}

type ArrayType = "int32" | "uint8" | "float64";

interface ArrayEntry {
  type: ArrayType;
  offset: number;
  length: number;
}

interface Header {
  format: string;
  version: number;
  created: string;
  classes: number[];
  features: { name: string; edges: number[] }[];
  params: ForestParams;
  trees: number;
  nodes: number;
  importances: number[];
  training: { rows: number; classCounts: number[] };
  meta: Record<string, unknown>;
  arrays: Record<"feature" | "bin" | "right" | "value" | "roots", ArrayEntry>;
  sha256: string;
}

const BYTES: Record<ArrayType, number> = { int32: 4, uint8: 1, float64: 8 };

function bytesOf(a: Int32Array | Uint8Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The model as file bytes. */
export function encodeForest(model: RandomForest, created = new Date()): Buffer {
  const p = model.parts();
  const bin = Uint8Array.from(p.bin);
  const pieces: [keyof Header["arrays"], ArrayType, Int32Array | Uint8Array | Float64Array][] = [
    ["feature", "int32", p.feature],
    ["right", "int32", p.right],
    ["roots", "int32", p.roots],
    ["value", "float64", p.value],
    ["bin", "uint8", bin],
  ];
  const arrays = {} as Header["arrays"];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, type, a] of pieces) {
    arrays[name] = { type, offset, length: a.length };
    const b = bytesOf(a);
    chunks.push(b);
    offset += b.length;
  }
  const payload = Buffer.concat(chunks);
  const header: Header = {
    format: FOREST_FORMAT,
    version: FOREST_VERSION,
    created: created.toISOString(),
    classes: p.classes,
    features: p.featureNames.map((name, f) => ({ name, edges: Array.from(p.edges[f]) })),
    params: p.params,
    trees: p.roots.length,
    nodes: p.feature.length,
    importances: Array.from(p.importances),
    training: p.training,
    meta: p.meta,
    arrays,
    sha256: createHash("sha256").update(payload).digest("hex"),
  };
  return Buffer.concat([
    Buffer.from(`${FOREST_FORMAT} ${FOREST_VERSION}\n${JSON.stringify(header)}\n`, "utf8"),
    payload,
  ]);
}

function fail(what: string, msg: string): never {
  throw new ModelFormatError(`${what}: ${msg}`);
}

/** Reads model file bytes; every defect is a ModelFormatError naming `what` (the file). */
export function decodeForest(buf: Buffer, what = "model"): RandomForest {
  const magicEnd = buf.indexOf(10);
  const magic = buf.subarray(0, magicEnd < 0 ? Math.min(buf.length, 64) : magicEnd).toString("latin1");
  if (!magic.startsWith(`${FOREST_FORMAT} `)) {
    fail(
      what,
      `not a botscope forest model (the file should start with "${FOREST_FORMAT} ${FOREST_VERSION}")`,
    );
  }
  const version = Number(magic.slice(FOREST_FORMAT.length + 1));
  if (!Number.isInteger(version)) fail(what, `bad format version "${magic.slice(FOREST_FORMAT.length + 1)}"`);
  if (version > FOREST_VERSION) {
    fail(
      what,
      `model format version ${version} is newer than this botscope reads (${FOREST_VERSION}); upgrade`,
    );
  }
  if (version < 1) fail(what, `unknown model format version ${version}`);
  const headerEnd = buf.indexOf(10, magicEnd + 1);
  if (headerEnd < 0) fail(what, "truncated: the header line does not end");
  let h: Header;
  try {
    h = JSON.parse(buf.subarray(magicEnd + 1, headerEnd).toString("utf8")) as Header;
  } catch (e) {
    fail(what, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (h === null || typeof h !== "object" || h.format !== FOREST_FORMAT)
    fail(what, "the header is not a forest header");
  for (const key of ["classes", "features", "params", "arrays", "importances", "training"] as const) {
    if (h[key] === undefined || h[key] === null) fail(what, `the header has no "${key}"`);
  }
  if (!Array.isArray(h.classes) || h.classes.length < 1 || !h.classes.every(Number.isFinite)) {
    fail(what, "classes must be a non-empty list of numbers");
  }
  if (!Array.isArray(h.features) || h.features.length < 1) fail(what, "features must be a non-empty list");
  const payload = buf.subarray(headerEnd + 1);
  if (createHash("sha256").update(payload).digest("hex") !== h.sha256) {
    fail(what, "the payload is corrupted or truncated (sha256 mismatch)");
  }
  const read = (name: keyof Header["arrays"], type: ArrayType): Int32Array | Uint8Array | Float64Array => {
    const e = h.arrays[name];
    if (!e || e.type !== type || !Number.isInteger(e.offset) || !Number.isInteger(e.length) || e.length < 0) {
      fail(what, `array "${name}" is missing or malformed`);
    }
    const end = e.offset + e.length * BYTES[type];
    if (e.offset < 0 || end > payload.length) fail(what, `array "${name}" lies outside the payload`);
    const copy = payload.buffer.slice(payload.byteOffset + e.offset, payload.byteOffset + end);
    return type === "int32"
      ? new Int32Array(copy)
      : type === "uint8"
        ? new Uint8Array(copy)
        : new Float64Array(copy);
  };
  const feature = read("feature", "int32") as Int32Array;
  const right = read("right", "int32") as Int32Array;
  const roots = read("roots", "int32") as Int32Array;
  const value = read("value", "float64") as Float64Array;
  const bin = Int32Array.from(read("bin", "uint8"));
  const k = h.classes.length;
  const d = h.features.length;
  const edges = h.features.map((f, j) => {
    if (typeof f?.name !== "string" || !Array.isArray(f.edges)) fail(what, `feature ${j} is malformed`);
    const e = Float64Array.from(f.edges);
    for (let i = 0; i < e.length; i++) {
      if (!Number.isFinite(e[i]) || (i > 0 && e[i] <= e[i - 1]))
        fail(what, `bin edges of feature "${f.name}" are not increasing numbers`);
    }
    return e;
  });
  checkTrees(what, { feature, right, roots, value, bin, edges, k, d });
  const importances = Float64Array.from(h.importances);
  if (importances.length !== d) fail(what, `${importances.length} importances for ${d} features`);
  const parts: ForestParts = {
    classes: h.classes,
    featureNames: h.features.map((f) => f.name),
    edges,
    params: h.params,
    feature,
    bin,
    right,
    value,
    roots,
    importances,
    training: h.training,
    meta: h.meta ?? {},
  };
  return new RandomForest(parts);
}

/** Structural checks, so that a damaged file fails here and never loops or reads out of bounds later. */
function checkTrees(
  what: string,
  t: {
    feature: Int32Array;
    right: Int32Array;
    roots: Int32Array;
    value: Float64Array;
    bin: Int32Array;
    edges: Float64Array[];
    k: number;
    d: number;
  },
): void {
  const n = t.feature.length;
  if (t.right.length !== n || t.bin.length !== n) fail(what, "node arrays differ in length");
  if (t.value.length !== n * t.k)
    fail(what, `value array has ${t.value.length} entries, expected ${n * t.k}`);
  if (t.roots.length < 1) fail(what, "the forest has no trees");
  for (let r = 0; r < t.roots.length; r++) {
    const start = t.roots[r];
    const end = r + 1 < t.roots.length ? t.roots[r + 1] : n;
    if (start < 0 || end > n || start >= end) fail(what, `tree ${r} has a bad node range`);
    for (let i = start; i < end; i++) {
      const f = t.feature[i];
      if (f < 0) {
        if (f !== -1) fail(what, `node ${i}: bad feature ${f}`);
        continue;
      }
      if (f >= t.d) fail(what, `node ${i}: feature ${f} out of range (${t.d} features)`);
      if (t.bin[i] >= t.edges[f].length)
        fail(what, `node ${i}: split bin ${t.bin[i]} beyond the edges of feature ${f}`);
      const rc = t.right[i];
      if (i + 1 >= end || rc <= i + 1 || rc >= end) fail(what, `node ${i}: children out of range`);
    }
  }
}
