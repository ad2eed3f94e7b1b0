import { writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { UserError } from "../../core/errors.ts";
import { chooseK } from "../../ml/auto-k.ts";
import { dbscan } from "../../ml/dbscan.ts";
import { kmeans } from "../../ml/kmeans.ts";
import type { Matrix } from "../../ml/matrix.ts";
import { RobustScaler, StandardScaler } from "../../ml/scale.ts";
import { readNumericCsv } from "../../report/numeric-csv.ts";
import { integerArg, listArg, positiveArg } from "../args.ts";
import { action } from "../context.ts";
import { printJson, printTable } from "../output.ts";

interface CsvOptions {
  csv: string;
  columns?: string[];
  scale: "standard" | "robust" | "none";
  out?: string;
  json?: boolean;
}

function csvInput(cmd: Command): Command {
  return cmd
    .requiredOption("--csv <file>", "numeric CSV with a header")
    .option("--columns <list>", "columns to use (default: all numeric)", listArg)
    .addOption(
      new Option("--scale <how>", "scaling before clustering")
        .choices(["standard", "robust", "none"])
        .default("standard"),
    )
    .option("--out <file>", "labels CSV: row,label")
    .option("--json", "as JSON");
}

function load(o: CsvOptions): { m: Matrix; columns: string[] } {
  const { matrix, columns } = readNumericCsv(o.csv, o.columns);
  for (let i = 0; i < matrix.data.length; i++) {
    if (Number.isNaN(matrix.data[i])) {
      throw new UserError(
        `${o.csv}: row ${Math.floor(i / matrix.cols) + 1}, column ${columns[i % matrix.cols]}: not a number`,
      );
    }
  }
  const m =
    o.scale === "none"
      ? matrix
      : (o.scale === "robust" ? new RobustScaler() : new StandardScaler()).fitTransform(matrix);
  return { m, columns };
}

function report(o: CsvOptions, labels: Int32Array, summary: Record<string, unknown>): void {
  if (o.out) writeFileSync(o.out, `row,label\n${Array.from(labels, (l, i) => `${i},${l}`).join("\n")}\n`);
  const sizes = new Map<number, number>();
  for (const l of labels) sizes.set(l, (sizes.get(l) ?? 0) + 1);
  const table = [...sizes].sort((a, b) => a[0] - b[0]).map(([label, n]) => ({ label, n }));
  if (o.json) {
    printJson({ ...summary, sizes: table, out: o.out ?? null });
    return;
  }
  process.stdout.write(
    `${Object.entries(summary)
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ")}\n`,
  );
  printTable(
    ["label", "rows"],
    table.map((r) => [r.label, r.n]),
  );
}

/** Generic entry points on any numeric CSV: `ml dbscan`, `ml kmeans` (forest train/predict join them). */
export function mlCommand(): Command {
  const ml = new Command("ml").description(
    "the numeric algorithms on any numeric CSV (for benchmarks and power users)",
  );
  csvInput(ml.command("dbscan").description("DBSCAN (scikit-learn semantics, k-d tree); label -1 is noise"))
    .requiredOption("--eps <e>", "neighbourhood radius", positiveArg)
    .option("--min-samples <m>", "core size, the point itself included", integerArg, 5)
    .action(
      action(async (_ctx, o: CsvOptions & { eps: number; minSamples: number }) => {
        const { m } = load(o);
        const t = performance.now();
        const r = dbscan(m, { eps: o.eps, minSamples: o.minSamples });
        report(o, r.labels, {
          rows: m.rows,
          clusters: r.clusters,
          noise: r.noise,
          seconds: (performance.now() - t) / 1000,
        });
      }),
    );
  csvInput(
    ml
      .command("kmeans")
      .description("k-means (k-means++ init, best of n-init); --k auto picks k by silhouette"),
  )
    .option("--k <k>", "clusters, or 'auto'", "auto")
    .option("--n-init <n>", "independent runs", integerArg, 10)
    .option("--max-iter <n>", "Lloyd iterations per run", integerArg, 300)
    .option("--seed <n>", "random seed", integerArg, 0)
    .action(
      action(async (_ctx, o: CsvOptions & { k: string; nInit: number; maxIter: number; seed: number }) => {
        const { m } = load(o);
        const t = performance.now();
        if (o.k === "auto") {
          const r = chooseK(m, { seed: o.seed, maxIter: o.maxIter });
          return report(o, r.result.labels, {
            rows: m.rows,
            k: r.k,
            inertia: r.result.inertia,
            seconds: (performance.now() - t) / 1000,
          });
        }
        const k = integerArg(o.k);
        const r = kmeans(m, { k, nInit: o.nInit, maxIter: o.maxIter, seed: o.seed });
        report(o, r.labels, {
          rows: m.rows,
          k,
          inertia: r.inertia,
          iterations: r.iterations,
          seconds: (performance.now() - t) / 1000,
        });
      }),
    );
  return ml;
}
