import { readFileSync } from "node:fs";
import Papa from "papaparse";
import { UserError } from "../core/errors.ts";
import type { Matrix } from "../ml/matrix.ts";

/**
 * A numeric matrix from a CSV file with a header: the named columns (all numeric columns when none are
 * named). Empty cells and non-numbers become NaN; a named column that does not exist is an error.
 */
export function readNumericCsv(
  path: string,
  columns?: string[],
): { matrix: Matrix; columns: string[]; rows: Record<string, string>[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UserError(`${path}: ${(e as Error).message}`);
  }
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  const fatal = parsed.errors.find((e) => e.type === "Quotes" || e.type === "Delimiter");
  if (fatal) throw new UserError(`${path}: row ${fatal.row ?? "?"}: ${fatal.message}`);
  const header = parsed.meta.fields ?? [];
  const rows = parsed.data;
  if (rows.length === 0) throw new UserError(`${path}: no data rows`);
  let cols = columns;
  if (cols) {
    const missing = cols.filter((c) => !header.includes(c));
    if (missing.length)
      throw new UserError(`${path}: no column ${missing.join(", ")} (columns: ${header.join(", ")})`);
  } else {
    cols = header.filter((h) =>
      rows.slice(0, 100).every((r) => r[h] === "" || Number.isFinite(Number(r[h]))),
    );
    if (cols.length === 0) throw new UserError(`${path}: no numeric column`);
  }
  const d = cols.length;
  const data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    cols.forEach((c, j) => {
      const v = r[c];
      data[i * d + j] = v === "" || v === undefined ? Number.NaN : Number(v);
    });
  });
  return { matrix: { data, rows: rows.length, cols: d }, columns: cols, rows };
}
