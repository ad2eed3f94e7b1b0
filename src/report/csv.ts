/** RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. */
export function csvField(value: unknown): string {
  if (value == null) return "";
  const s = typeof value === "number" ? (Number.isFinite(value) ? String(value) : "") : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(headers: string[], rows: Record<string, unknown>[]): string {
  const out = [headers.map(csvField).join(",")];
  for (const r of rows) out.push(headers.map((h) => csvField(r[h])).join(","));
  return `${out.join("\n")}\n`;
}
