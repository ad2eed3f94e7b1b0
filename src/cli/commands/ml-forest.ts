/**
 * `botscope ml train|predict`: the random forest on any numeric CSV (a header line of column names, then
 * numbers; .gz and - for stdin), for benchmarks and power users. The model file is the same format as
 * flow models (ml/forest-format.ts); predict picks the model's feature columns by name, so extra
 * columns (such as the label) may stay in the file.
 */
import { readFile, writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { UsageError, UserError } from "../../core/errors.ts";
import { OVERSIZED_LINE, readLineBatches } from "../../ingest/source.ts";
import { type ForestOptions, RandomForest } from "../../ml/forest.ts";
import { decodeForest, encodeForest, ModelFormatError } from "../../ml/forest-format.ts";
import type { Matrix } from "../../ml/matrix.ts";
import { integerArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson, textOut } from "../output.ts";

interface NumericCsv {
  columns: string[];
  rows: number;
  /** Row-major, all columns. */
  data: Float64Array;
}

function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replaceAll('""', '"') : t;
}

/** Reads a numeric CSV; any field that is not a number is an error naming the line and column. */
export async function readNumericCsv(file: string): Promise<NumericCsv> {
  let columns: string[] | undefined;
  let data = new Float64Array(1 << 16);
  let rows = 0;
  for await (const batch of readLineBatches(file)) {
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i];
      const where = `${file}:${batch.firstLine + i}`;
      if (line === OVERSIZED_LINE) throw new UserError(`${where}: line too long`);
      if (line.trim() === "") continue;
      if (!columns) {
        columns = line.split(",").map(unquote);
        if (new Set(columns).size !== columns.length)
          throw new UserError(`${where}: repeated column names in the header`);
        continue;
      }
      const d = columns.length;
      if ((rows + 1) * d > data.length) {
        const grown = new Float64Array(Math.max((rows + 1) * d, data.length * 2));
        grown.set(data);
        data = grown;
      }
      let s = 0;
      for (let j = 0; j < d; j++) {
        let e = line.indexOf(",", s);
        if (j === d - 1) {
          if (e >= 0) throw new UserError(`${where}: more than the header's ${d} fields`);
          e = line.length;
        } else if (e < 0) throw new UserError(`${where}: fewer than the header's ${d} fields`);
        const text = line.slice(s, e).trim();
        const v = text === "" ? Number.NaN : Number(text);
        if (!Number.isFinite(v)) {
          throw new UserError(
            `${where}: column ${columns[j]} is ${text === "" ? "empty" : `"${text}"`}, not a number`,
          );
        }
        data[rows * d + j] = v;
        s = e + 1;
      }
      rows++;
    }
  }
  if (!columns) throw new UserError(`${file}: empty (no header line)`);
  if (rows === 0) throw new UserError(`${file}: no data rows`);
  return { columns, rows, data: data.subarray(0, rows * columns.length) };
}

/** The given columns of a CSV as a matrix. */
function pick(csv: NumericCsv, names: string[], file: string): Matrix {
  const d = csv.columns.length;
  const idx = names.map((n) => {
    const j = csv.columns.indexOf(n);
    if (j < 0)
      throw new UserError(
        `${file}: no column "${n}" (the model needs ${names.length} columns: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""})`,
      );
    return j;
  });
  const k = idx.length;
  const out = new Float64Array(csv.rows * k);
  for (let i = 0; i < csv.rows; i++) for (let c = 0; c < k; c++) out[i * k + c] = csv.data[i * d + idx[c]];
  return { data: out, rows: csv.rows, cols: k };
}

function maxFeaturesArg(v: string): ForestOptions["maxFeatures"] {
  if (v === "sqrt" || v === "log2" || v === "all") return v;
  const n = Number(v);
  if (n > 0 && (n < 1 || Number.isInteger(n))) return n;
  throw new InvalidArgumentError("expected sqrt, log2, all, a share in (0, 1) or a count");
}

/** Adds `train` and `predict` to the `ml` command. */
export function forestCommands(ml: Command): void {
  ml.command("train")
    .description("train a random forest on a numeric CSV (every column but the label is a feature)")
    .requiredOption("--csv <file>", "CSV with a header line (.gz, - for stdin)")
    .requiredOption("--label <column>", "the class column")
    .requiredOption("--model <file>", "model file to write")
    .option("--drop <columns>", "comma-separated columns that are not features")
    .option("--trees <n>", "trees", integerArg, 100)
    .option("--seed <n>", "random seed", integerArg, 0)
    .option("--balanced", "bootstrap the same number of rows from every class")
    .option(
      "--max-features <v>",
      "features per split: sqrt, log2, all, a share or a count",
      maxFeaturesArg,
      "sqrt",
    )
    .option("--max-depth <n>", "limit tree depth", integerArg)
    .option("--jobs <n>", "threads (default: all cores)", integerArg)
    .option("--json", "as JSON")
    .action(
      action(
        async (
          ctx,
          o: {
            csv: string;
            label: string;
            model: string;
            drop?: string;
            trees: number;
            seed: number;
            balanced?: boolean;
            maxFeatures: ForestOptions["maxFeatures"];
            maxDepth?: number;
            jobs?: number;
          },
        ) => {
          if (o.trees < 1) throw new UsageError("--trees must be at least 1");
          if (o.jobs !== undefined && o.jobs < 1) throw new UsageError("--jobs must be at least 1");
          const t0 = performance.now();
          const csv = await readNumericCsv(o.csv);
          const labelAt = csv.columns.indexOf(o.label);
          if (labelAt < 0)
            throw new UsageError(`${o.csv}: no column "${o.label}" (columns: ${csv.columns.join(", ")})`);
          const drop = new Set(
            (o.drop ?? "")
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean),
          );
          const features = csv.columns.filter((c) => c !== o.label && !drop.has(c));
          if (features.length === 0) throw new UsageError(`${o.csv}: no feature columns besides the label`);
          const x = pick(csv, features, o.csv);
          const y = new Float64Array(csv.rows);
          for (let i = 0; i < csv.rows; i++) y[i] = csv.data[i * csv.columns.length + labelAt];
          const t1 = performance.now();
          let forest: RandomForest;
          try {
            forest = await RandomForest.fit(x, y, {
              trees: o.trees,
              seed: o.seed,
              balanced: o.balanced,
              maxFeatures: o.maxFeatures,
              maxDepth: o.maxDepth,
              jobs: o.jobs,
              featureNames: features,
            });
          } catch (e) {
            if (e instanceof RangeError) throw new UsageError(e.message);
            throw e;
          }
          const t2 = performance.now();
          forest.meta = { csv: { file: o.csv, label: o.label } };
          await writeFile(o.model, encodeForest(forest));
          const result = {
            model: o.model,
            rows: csv.rows,
            features: features.length,
            classes: forest.classes,
            classCounts: forest.training.classCounts,
            trees: forest.trees,
            nodes: forest.nodes,
            seconds: { read: (t1 - t0) / 1000, training: (t2 - t1) / 1000 },
          };
          if (ctx.json) return printJson(result);
          process.stdout.write(
            `trained ${result.trees} trees (${result.nodes} nodes) on ${result.rows} rows x ${result.features} features, ` +
              `classes ${result.classes.map((c, i) => `${c} (${result.classCounts[i]})`).join(", ")} in ${result.seconds.training.toFixed(2)} s\n` +
              `model written to ${o.model}\n`,
          );
        },
      ),
    );

  ml.command("predict")
    .description("class probabilities and predicted class for every row of a numeric CSV")
    .requiredOption("--csv <file>", "CSV with the model's feature columns by name (.gz, - for stdin)")
    .requiredOption("--model <file>", "model file")
    .requiredOption("--out <file>", "CSV to write: predicted,proba_<class>... per row ('-' for stdout)")
    .option("--jobs <n>", "threads (default: all cores)", integerArg)
    .option("--json", "as JSON")
    .action(
      action(async (ctx, o: { csv: string; model: string; out: string; jobs?: number }) => {
        let forest: RandomForest;
        try {
          forest = decodeForest(await readFile(o.model), o.model);
        } catch (e) {
          if (e instanceof ModelFormatError) throw new UserError(e.message);
          throw e;
        }
        const csv = await readNumericCsv(o.csv);
        const x = pick(csv, forest.featureNames, o.csv);
        const t0 = performance.now();
        const proba = await forest.predictProbaParallel(x, o.jobs);
        const seconds = (performance.now() - t0) / 1000;
        const labels = forest.labelsOf(proba);
        const k = proba.cols;
        const out = textOut(o.out);
        const write = (text: string) => out.write(text);
        await write(`predicted,${forest.classes.map((c) => `proba_${c}`).join(",")}\n`);
        let text = "";
        for (let i = 0; i < proba.rows; i++) {
          text += `${labels[i]}`;
          for (let c = 0; c < k; c++) text += `,${proba.data[i * k + c]}`;
          text += "\n";
          if (text.length > 1 << 20) {
            await write(text);
            text = "";
          }
        }
        await write(text);
        await out.close();
        if (o.out === "-") return;
        const counts = forest.classes.map((c) => ({ class: c, rows: labels.filter((l) => l === c).length }));
        if (ctx.json) return printJson({ out: o.out, rows: proba.rows, predicted: counts, seconds });
        process.stdout.write(
          `predicted ${proba.rows} rows (${counts.map((c) => `${c.class}: ${c.rows}`).join(", ")}) in ${seconds.toFixed(3)} s; written to ${o.out}\n`,
        );
      }),
    );
}
