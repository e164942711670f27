import { createReadStream, existsSync, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** Paths the SPA fallback must never swallow: they belong to the API or are real 404s. */
const NOT_SPA = /^\/(trpc|api|ws|agent|install|healthz|readyz|metrics)(\/|$|\?)/;

/**
 * Serves the built SPA: hashed files under /assets are cached for a year; everything else
 * revalidates; unknown paths that a browser navigates to get index.html (history fallback).
 */
export function registerSpa(app: FastifyInstance, webDir: string): void {
  const indexPath = join(webDir, "index.html");
  const root = normalize(webDir + sep);

  const sendFile = (reply: FastifyReply, file: string, immutable: boolean) => {
    reply
      .header("content-type", TYPES[extname(file)] ?? "application/octet-stream")
      .header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
    return reply.send(createReadStream(file));
  };

  app.get("/*", (req, reply) => {
    const url = req.url.split("?")[0] ?? "/";
    if (NOT_SPA.test(url)) return reply.code(404).send({ error: { code: "not_found", message: "No such endpoint." } });
    let decoded: string;
    try {
      decoded = decodeURIComponent(url);
    } catch {
      return reply.code(400).send({ error: { code: "bad_path", message: "Malformed path." } });
    }
    const file = normalize(join(webDir, decoded));
    if (file.startsWith(root) && existsSync(file) && statSync(file).isFile()) {
      return sendFile(reply, file, decoded.startsWith("/assets/"));
    }
    if (decoded.startsWith("/assets/")) return reply.code(404).send("Not found");
    if (!existsSync(indexPath)) {
      return reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send(`The web console is not built (looked for ${indexPath}). Run "npm run build" and restart.`);
    }
    return sendFile(reply, indexPath, false);
  });
}
