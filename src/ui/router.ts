/**
 * Hash router with the view state in the hash's query (`#/incidents/3?features=a,b&method=dbscan`), so
 * every view can be shared as a link and survives a reload. Views replace the query as the user changes
 * controls (no new history entry per click); links between views push one.
 */

export interface ViewContext {
  /** The element the view renders into; detached when the user navigates away. */
  root: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the view is left: pass to fetches. */
  signal: AbortSignal;
  /** Runs when the view is left (charts dispose here). */
  onDispose(fn: () => void): void;
}

export type View = (ctx: ViewContext) => void | Promise<void>;

interface Route {
  pattern: string;
  parts: string[];
  view: View;
}

const routes: Route[] = [];
let current: { dispose: (() => void)[]; abort: AbortController } | null = null;

export function route(pattern: string, view: View): void {
  routes.push({ pattern, parts: pattern.split("/").filter(Boolean), view });
}

/** `#/a/b?x=1` from a path and query values (empty values are left out). */
export function href(path: string, query: Record<string, string | number | null | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const qs = q.toString();
  return `#${path}${qs ? `?${qs}` : ""}`;
}

export function currentPath(): { path: string; query: URLSearchParams } {
  const hash = location.hash.replace(/^#/, "") || "/incidents";
  const i = hash.indexOf("?");
  return {
    path: i < 0 ? hash : hash.slice(0, i),
    query: new URLSearchParams(i < 0 ? "" : hash.slice(i + 1)),
  };
}

/** Updates the current view's query in place (no re-render, no history entry). */
export function setQuery(patch: Record<string, string | number | null | undefined>): void {
  const { path, query } = currentPath();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === "") query.delete(k);
    else query.set(k, String(v));
  }
  const qs = query.toString();
  history.replaceState(null, "", `#${path}${qs ? `?${qs}` : ""}`);
}

export function navigate(to: string): void {
  location.hash = to.replace(/^#/, "");
}

function match(path: string): { route: Route; params: Record<string, string> } | null {
  const parts = path.split("/").filter(Boolean);
  for (const r of routes) {
    if (r.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    r.parts.forEach((p, i) => {
      if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return { route: r, params };
  }
  return null;
}

/** Renders the view for the current hash into `outlet`, leaving the previous one first. */
export async function render(outlet: HTMLElement, onRoute: (pattern: string | null) => void): Promise<void> {
  if (current) {
    current.abort.abort();
    for (const fn of current.dispose) fn();
  }
  const state = { dispose: [] as (() => void)[], abort: new AbortController() };
  current = state;
  const { path, query } = currentPath();
  const m = match(path);
  const root = document.createElement("div");
  root.className = "view";
  outlet.replaceChildren(root);
  onRoute(m?.route.pattern ?? null);
  if (!m) {
    root.innerHTML = "<h1 tabindex='-1'>Not found</h1><p>No view at this address.</p>";
    return;
  }
  try {
    await m.route.view({
      root,
      params: m.params,
      query,
      signal: state.abort.signal,
      onDispose: (fn) => state.dispose.push(fn),
    });
  } catch (err) {
    if (state.abort.signal.aborted) return;
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = err instanceof Error ? err.message : String(err);
    root.append(p);
  }
}
