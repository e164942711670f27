#!/usr/bin/env node
// Builds what `npm pack` ships: dist/index.js (esbuild; the npm dependencies stay imports) and
// dist/index.d.ts, the AppRouter type with everything it references from the workspace
// packages inlined by dts-bundle-generator (tsconfig.build.json maps them to their sources),
// so an installed client needs no server source. The router type also carries the server's
// request context (services, database handle): those few types refer to drizzle-orm and
// @libsql/client, which a script does not install; with skipLibCheck they are opaque, and no
// procedure's input or output depends on them.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const external = Object.keys(pkg.dependencies);

rmSync(join(root, "dist"), { recursive: true, force: true });
await build({
  entryPoints: [join(root, "src/index.ts")],
  outfile: join(root, "dist/index.js"),
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external,
  logLevel: "warning",
});

const require = createRequire(import.meta.url);
const generatorPkg = require.resolve("dts-bundle-generator/package.json");
const { bin } = JSON.parse(readFileSync(generatorPkg, "utf8"));
const generatorBin = join(dirname(generatorPkg), typeof bin === "string" ? bin : bin["dts-bundle-generator"]);
execFileSync(
  process.execPath,
  [
    generatorBin,
    "--silent",
    "--no-banner",
    "--no-check",
    "--export-referenced-types=false",
    "--project",
    join(root, "tsconfig.build.json"),
    "--out-file",
    join(root, "dist/index.d.ts"),
    "--",
    join(root, "src/index.ts"),
  ],
  { stdio: "inherit" },
);
