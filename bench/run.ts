/**
 * Benchmark runner: `npm run bench -- NAME [NAME...]` (or no name for all). Each bench/NAME.bench.ts
 * exports `run()` returning figures; each figure is printed with its reference, measured in the same
 * run, and the ratio between them.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Figure {
  /** What was measured, e.g. "parse+sessionize". */
  name: string;
  value: number;
  unit: string;
  /** The reference measured in the same run; ratio = value / reference.value for throughputs. */
  reference?: { name: string; value: number };
  /** "higher" (throughput) or "lower" (time, memory) is better; decides how the ratio reads. */
  better?: "higher" | "lower";
  note?: string;
}

export type Bench = () => Promise<Figure[]>;

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .sort();

function fmt(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

const wanted = process.argv.slice(2).filter((a) => a !== "--");
for (const name of wanted) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown benchmark ${name}; available: ${available.join(", ")}\n`);
    process.exit(2);
  }
}
for (const name of wanted.length ? wanted : available) {
  const mod = (await import(join(here, `${name}.bench.ts`))) as { run: Bench };
  process.stdout.write(`## ${name}\n`);
  for (const f of await mod.run()) {
    let line = `${f.name}: ${fmt(f.value)} ${f.unit}`;
    if (f.reference) {
      const ratio = f.better === "lower" ? f.reference.value / f.value : f.value / f.reference.value;
      line += `  | ${f.reference.name}: ${fmt(f.reference.value)} ${f.unit}  | ratio ${ratio.toFixed(2)}x`;
    }
    if (f.note) line += `  (${f.note})`;
    process.stdout.write(`${line}\n`);
  }
}
