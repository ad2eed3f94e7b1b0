/** Small DOM helpers: elements, tables with headers, number and time formats. */

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);

/** Creates an element: `on*` attributes become listeners, `true` a bare attribute, `false`/null nothing. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, AttrValue> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export interface Column<T> {
  label: string;
  value: (row: T) => Child;
  numeric?: boolean;
}

/** A data table with a caption and column headers (screen readers announce both). */
export function table<T>(caption: string, columns: Column<T>[], rows: T[], empty = "none"): HTMLTableElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : null }, c.label))),
    ),
    h(
      "tbody",
      {},
      ...(rows.length
        ? rows.map((r) =>
            h("tr", {}, ...columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.value(r)))),
          )
        : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty))]),
    ),
  );
}

export function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

export function fmtNum(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v.toLocaleString("en-US", { maximumFractionDigits: digits });
}

export function fmtPct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return `${(v * 100).toFixed(digits)}%`;
}

/** Epoch seconds as a UTC time, minutes precision: the unit of attack windows. */
export function fmtTime(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return "–";
  return `${new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ")}Z`;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Previous/next links over a long list (the page number lives in the URL like the rest of the state). */
export function pager(
  total: number,
  page: number,
  size: number,
  hrefFor: (page: number) => string,
): HTMLElement {
  const pages = Math.max(1, Math.ceil(total / size));
  const from = Math.min(total, page * size + 1);
  const to = Math.min(total, (page + 1) * size);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    page > 0 ? h("a", { href: hrefFor(page - 1), rel: "prev" }, "Previous") : null,
    h("span", {}, `${fmtNum(from)}–${fmtNum(to)} of ${fmtNum(total)}`),
    page + 1 < pages ? h("a", { href: hrefFor(page + 1), rel: "next" }, "Next") : null,
  );
}

/** The error message from anything thrown, for an alert box. */
export function errorBox(err: unknown): HTMLElement {
  const message = err instanceof Error ? err.message : String(err);
  return h("p", { class: "error", role: "alert" }, message);
}

export function loading(what: string): HTMLElement {
  return h("p", { class: "loading", role: "status" }, `Loading ${what}…`);
}

/** A short id for a keyed hash: enough to tell hosts apart on screen. */
export function shortHash(hash: string): string {
  return hash.length > 12 ? hash.slice(0, 12) : hash;
}
