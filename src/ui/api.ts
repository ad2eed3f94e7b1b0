/** Client of the botscope HTTP API (docs/api.md): JSON under /api, errors as `{ error: { code, message } }`. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The API lives beside the page (the server serves both), also when the UI sits under a sub-path. */
const BASE = new URL("api/", new URL(".", location.href)).pathname;

/**
 * The server's token when it has one: taken from `?token=` of the page's own URL on first load (then
 * removed from the address bar so it is not shared with links), kept for the tab in sessionStorage.
 */
function token(): string | null {
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    sessionStorage.setItem("botscope.token", fromUrl);
    const clean = new URL(location.href);
    clean.searchParams.delete("token");
    history.replaceState(null, "", clean.toString());
  }
  return sessionStorage.getItem("botscope.token");
}
const TOKEN = token();

type QueryValue = string | number | boolean | null | undefined;

function url(path: string, query: Record<string, QueryValue> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  const qs = q.toString();
  return `${BASE}${path.replace(/^\//, "")}${qs ? `?${qs}` : ""}`;
}

let inflight = 0;
let waiters: (() => void)[] = [];

/** Resolves once no request is in flight (checked after the current burst of requests has started). */
function idle(): Promise<void> {
  return new Promise((resolve) => {
    waiters.push(resolve);
    setTimeout(release, 50);
  });
}

function release(): void {
  if (inflight > 0) return;
  const ready = waiters;
  waiters = [];
  for (const w of ready) w();
}

async function request<T>(
  method: string,
  path: string,
  init: { query?: Record<string, QueryValue>; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  inflight++;
  try {
    return await send<T>(method, path, init);
  } finally {
    inflight--;
    setTimeout(release, 50);
  }
}

async function send<T>(
  method: string,
  path: string,
  init: { query?: Record<string, QueryValue>; body?: unknown; signal?: AbortSignal },
): Promise<T> {
  const res = await fetch(url(path, init.query), {
    method,
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...(TOKEN ? { authorization: `Bearer ${TOKEN}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    if (!res.ok) throw new ApiError(res.status, "bad_response", `${res.status} ${res.statusText}`);
    throw new ApiError(res.status, "bad_response", `the server sent something that is not JSON for ${path}`);
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? "error", e?.message ?? `${res.status} ${res.statusText}`);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal) =>
    request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body: unknown, signal?: AbortSignal) => request<T>("POST", path, { body, signal }),
  del: <T>(path: string, signal?: AbortSignal) => request<T>("DELETE", path, { signal }),
  /** Waits until the page's other requests are answered: for slow, optional ones that should not delay them. */
  idle,
  /** Address of a download (export) for a plain link: carries the token as a query parameter. */
  downloadUrl: (path: string, query: Record<string, QueryValue> = {}) =>
    url(path, { ...query, token: TOKEN }),
};
