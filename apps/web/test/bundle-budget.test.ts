/**
 * B10's size budget as a real check: the JS a first visit loads stays within 170 KB gzip,
 * and every lazily loaded chunk (routes and what they pull in) within 50 KB gzip.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";

const WEB = resolve(import.meta.dirname, "..");
const DIST = join(WEB, "dist");
const INITIAL_BUDGET = 170 * 1024;
const CHUNK_BUDGET = 50 * 1024;

const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

beforeAll(() => {
  if (!existsSync(join(DIST, "index.html"))) {
    // `npm test` builds first; a lone `vitest run` builds here rather than skipping.
    const res = spawnSync("npm", ["run", "build"], { cwd: WEB, stdio: "inherit" });
    if (res.status !== 0) throw new Error("vite build failed");
  }
}, 180_000);

describe("SPA bundle budget", () => {
  it(`initial JS <= ${INITIAL_BUDGET / 1024} KB gzip, each lazy chunk <= ${CHUNK_BUDGET / 1024} KB gzip`, () => {
    const html = readFileSync(join(DIST, "index.html"), "utf8");
    const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string));
    expect(initial.size).toBeGreaterThan(0);
    const initialBytes = [...initial].reduce((n, f) => n + gz(join(DIST, f)), 0);
    const lazy = readdirSync(join(DIST, "assets"))
      .filter((f) => f.endsWith(".js") && !initial.has(`assets/${f}`))
      .map((f) => ({ file: f, bytes: gz(join(DIST, "assets", f)) }));
    const report = `initial ${(initialBytes / 1024).toFixed(1)} KB; largest lazy ${lazy
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3)
      .map((c) => `${c.file} ${(c.bytes / 1024).toFixed(1)} KB`)
      .join(", ")}`;
    console.log(`bundle: ${report}`);
    expect(initialBytes, report).toBeLessThanOrEqual(INITIAL_BUDGET);
    for (const chunk of lazy) expect(chunk.bytes, `${chunk.file}: ${report}`).toBeLessThanOrEqual(CHUNK_BUDGET);
  });
});
