/**
 * B10: the SPA's initial JS (what index.html loads) and every lazily loaded chunk, gzip -9,
 * from apps/web/dist. The same rule as apps/web/test/bundle-budget.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { REPO_ROOT } from "@restic-manager/testkit";
import { type BenchResult, round } from "./lib/report.js";

const DIST = join(REPO_ROOT, "apps/web/dist");
const gz = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;

export function bundleSizes() {
  const html = readFileSync(join(DIST, "index.html"), "utf8");
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string));
  const initialBytes = [...initial].reduce((n, f) => n + gz(join(DIST, f)), 0);
  const lazy = readdirSync(join(DIST, "assets"))
    .filter((f) => f.endsWith(".js") && !initial.has(`assets/${f}`))
    .map((f) => ({ file: f, bytes: gz(join(DIST, "assets", f)) }))
    .sort((a, b) => b.bytes - a.bytes);
  return { initial: [...initial], initialBytes, lazy };
}

export async function b10(): Promise<BenchResult> {
  const s = bundleSizes();
  const kb = (n: number) => round(n / 1024);
  return {
    id: "B10",
    title: "SPA initial JS and per-route chunks (gzip)",
    anchor: `apps/web/dist from this build, gzip -9, ${s.lazy.length} lazy chunks`,
    checks: [
      { measure: "initial JS, gzip", measured: kb(s.initialBytes), unit: "KB", target: 170, op: "<=" },
      { measure: "largest lazy chunk, gzip", measured: kb(s.lazy[0]?.bytes ?? 0), unit: "KB", target: 50, op: "<=" },
    ],
    details: {
      initialFiles: s.initial,
      lazyChunksKb: Object.fromEntries(s.lazy.map((c) => [c.file, kb(c.bytes)])),
    },
  };
}
