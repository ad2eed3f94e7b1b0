/** What a request fetched, the basis of Bothound's html/image features and the asset ratios. */
export const RequestType = { Html: 0, Image: 1, Css: 2, Js: 3, Other: 4 } as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

/** Server-generated pages count as page views, like paths without an extension (Bothound's rule). */
const EXTENSIONS: [string, RequestType][] = [
  ...["html", "htm", "shtml", "xhtml", "php", "asp", "aspx", "jsp", "cgi", "pl", "cfm"].map(
    (e): [string, RequestType] => [e, RequestType.Html],
  ),
  ...["jpg", "jpeg", "gif", "png", "ico", "svg", "webp", "bmp", "tif", "tiff", "avif"].map(
    (e): [string, RequestType] => [e, RequestType.Image],
  ),
  ["css", RequestType.Css],
  ["js", RequestType.Js],
  ["mjs", RequestType.Js],
];

/** Extensions of up to 5 letters, lower-cased, packed into one number: a lookup without a substring. */
function extensionCode(path: string, from: number, to: number): number {
  if (to - from > 5 || to === from) return -1;
  let code = 0;
  for (let i = from; i < to; i++) {
    let c = path.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c > 127) return -1;
    code = code * 128 + c;
  }
  return code;
}

const BY_CODE = new Map(EXTENSIONS.map(([e, t]) => [extensionCode(e, 0, e.length), t]));

/** The packed extension codes and their types (for the WebAssembly log kernel, which packs alike). */
export function extensionCodes(): [number, RequestType][] {
  return [...BY_CODE];
}

/** Type of a path whose last '.' after its last '/' is at `dot` (-1: none), from text[dot + 1, end). */
export function typeOfExtension(text: string, dot: number, end: number): RequestType {
  if (dot < 0) return RequestType.Html;
  return BY_CODE.get(extensionCode(text, dot + 1, end)) ?? RequestType.Other;
}

/** Type from the path's extension: none means a page. */
export function typeFromPath(path: string): RequestType {
  const dot = path.lastIndexOf(".");
  return typeOfExtension(path, dot > path.lastIndexOf("/") ? dot : -1, path.length);
}

/**
 * Type from a response content type. `text/html; charset=...` is HTML; in Bothound compatibility mode
 * only the bare `text/html` is (the original's mis-typing).
 */
export function typeFromContentType(contentType: string, compat: boolean): RequestType {
  const ct = contentType.toLowerCase();
  if (compat ? ct === "text/html" : ct.startsWith("text/html")) return RequestType.Html;
  if (ct.startsWith("image/")) return RequestType.Image;
  if (ct.startsWith("text/css")) return RequestType.Css;
  if (ct.includes("javascript") || ct.includes("ecmascript")) return RequestType.Js;
  return RequestType.Other;
}

/** Type from the response content type when the log has one, else from the path. */
export function requestType(path: string, contentType: string | null, compat = false): RequestType {
  return contentType ? typeFromContentType(contentType, compat) : typeFromPath(path);
}
