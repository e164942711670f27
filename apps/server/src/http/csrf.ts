import { CSRF_HEADER } from "@restic-manager/api";
import type { FastifyRequest } from "fastify";

/**
 * Cookie-authenticated mutations must carry our custom header (a cross-site form cannot
 * set it) and an Origin that is this console's: the public URL's origin, or the origin
 * the browser addressed (scheme + Host as seen through trusted proxies).
 */
export function checkCsrf(req: FastifyRequest, publicUrl: string): { ok: true } | { ok: false; reason: string } {
  if (req.headers[CSRF_HEADER] === undefined) {
    return { ok: false, reason: `the ${CSRF_HEADER} header is missing. Use the web console or an API token.` };
  }
  const origin = req.headers.origin;
  if (!origin) return { ok: false, reason: "the Origin header is missing." };
  const allowed = new Set([new URL(publicUrl).origin, `${req.protocol}://${req.host}`]);
  if (!allowed.has(origin)) return { ok: false, reason: `cross-origin request from ${origin}.` };
  return { ok: true };
}
