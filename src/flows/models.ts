/**
 * Flow models: a random forest (ml/forest.ts, file format in ml/forest-format.ts) whose `meta` says how
 * its rows were made (`meta.flows`: the feature spec, window and step) and how it was trained. A models
 * directory is loaded at start, as botd does: every file in it that is a botscope forest model; files in
 * DIR/unused/ (and any other subdirectory) are ignored, as are files that are not models (reported as
 * skipped). A file that claims to be a model but is damaged is an error naming the file.
 */
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { UserError } from "../core/errors.ts";
import type { RandomForest } from "../ml/forest.ts";
import { decodeForest, encodeForest, FOREST_FORMAT, ModelFormatError } from "../ml/forest-format.ts";
import { type FeatureSpec, featureNames, specProblem } from "./features.ts";

export interface FlowModel {
  /** File name without directory and extension. */
  name: string;
  path: string;
  forest: RandomForest;
  spec: FeatureSpec;
  /** Column of predict_proba that is the botnet class (label 1). */
  botnetColumn: number;
}

/** What `meta.flows` of a flow model holds. */
export interface FlowModelMeta {
  spec: FeatureSpec;
  training?: Record<string, unknown>;
}

export const MODEL_EXTENSION = ".forest";

/** A flow model from a forest; throws a UserError naming `path` when the forest is not one. */
export function asFlowModel(forest: RandomForest, path: string): FlowModel {
  const meta = forest.meta.flows as FlowModelMeta | undefined;
  const problem = specProblem(meta?.spec);
  if (problem) throw new UserError(`${path}: ${problem}`);
  const spec = (meta as FlowModelMeta).spec;
  const names = featureNames(spec);
  if (names.length !== forest.featureNames.length || names.some((n, i) => n !== forest.featureNames[i])) {
    throw new UserError(`${path}: the model's features do not match its feature spec`);
  }
  const botnetColumn = forest.classes.indexOf(1);
  if (botnetColumn < 0) throw new UserError(`${path}: the model has no botnet class (label 1)`);
  return { name: basename(path).replace(/\.[^.]*$/, ""), path, forest, spec, botnetColumn };
}

/** Reads one flow model file. */
export async function loadFlowModel(path: string): Promise<FlowModel> {
  const buf = await readFile(path);
  try {
    return asFlowModel(decodeForest(buf, path), path);
  } catch (e) {
    if (e instanceof ModelFormatError) throw new UserError(e.message);
    throw e;
  }
}

/** Writes a forest with its flow spec as a model file. */
export async function saveFlowModel(
  forest: RandomForest,
  spec: FeatureSpec,
  path: string,
  training?: Record<string, unknown>,
): Promise<void> {
  forest.meta = { ...forest.meta, flows: { spec, training } satisfies FlowModelMeta };
  await writeFile(path, encodeForest(forest));
}

/** Every model in a directory (sorted by name); subdirectories such as unused/ are not read. */
export async function loadModelsDir(dir: string): Promise<{ models: FlowModel[]; skipped: string[] }> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory())
      throw new UserError(`${dir}: not a directory (--models takes a directory)`);
    entries = (await readdir(dir)).sort();
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot read models directory ${dir}: ${(e as Error).message}`);
  }
  const models: FlowModel[] = [];
  const skipped: string[] = [];
  for (const name of entries) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    const st = await stat(path);
    if (!st.isFile()) continue;
    const head = Buffer.alloc(FOREST_FORMAT.length);
    const buf = await readFile(path);
    buf.copy(head, 0, 0, Math.min(buf.length, head.length));
    if (head.toString("latin1") !== FOREST_FORMAT) {
      skipped.push(name);
      continue;
    }
    try {
      models.push(asFlowModel(decodeForest(buf, path), path));
    } catch (e) {
      if (e instanceof ModelFormatError) throw new UserError(e.message);
      throw e;
    }
  }
  if (models.length === 0) {
    throw new UserError(
      `no models in ${dir}${skipped.length ? ` (skipped, not models: ${skipped.join(", ")})` : ""}; train one with \`botscope flows train\``,
    );
  }
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.name)) throw new UserError(`${dir}: two models named ${m.name}`);
    names.add(m.name);
  }
  return { models, skipped };
}
