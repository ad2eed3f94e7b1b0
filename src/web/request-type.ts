/** What a request fetched, the basis of Bothound's html/image features and the asset ratios. */
export const RequestType = { Html: 0, Image: 1, Css: 2, Js: 3, Other: 4 } as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

const IMAGE_EXT = new Set(["jpg", "jpeg", "gif", "png", "ico", "svg", "webp", "bmp", "tif", "tiff", "avif"]);
/** Server-generated pages: requests for these are page views, like paths without an extension. */
const HTML_EXT = new Set(["html", "htm", "shtml", "xhtml", "php", "asp", "aspx", "jsp", "cgi", "pl", "cfm"]);

/** Type from the path's extension: none means a page (Bothound's rule). */
export function typeFromPath(path: string): RequestType {
  const slash = path.lastIndexOf("/");
  const dot = path.lastIndexOf(".");
  if (dot <= slash) return RequestType.Html;
  const ext = path.slice(dot + 1).toLowerCase();
  if (HTML_EXT.has(ext)) return RequestType.Html;
  if (IMAGE_EXT.has(ext)) return RequestType.Image;
  if (ext === "css") return RequestType.Css;
  if (ext === "js" || ext === "mjs") return RequestType.Js;
  return RequestType.Other;
}

/**
 * Type from the response content type when the log has one, else from the path. `text/html; charset=...`
 * is HTML; in Bothound compatibility mode only the bare `text/html` is (the original's mis-typing).
 */
export function requestType(path: string, contentType: string | null, compat = false): RequestType {
  if (contentType) {
    const ct = contentType.toLowerCase();
    if (compat ? ct === "text/html" : ct.startsWith("text/html")) return RequestType.Html;
    if (ct.startsWith("image/")) return RequestType.Image;
    if (ct.startsWith("text/css")) return RequestType.Css;
    if (ct.includes("javascript") || ct.includes("ecmascript")) return RequestType.Js;
    return RequestType.Other;
  }
  return typeFromPath(path);
}
