/**
 * Bundles the server into dist/main.js. Workspace packages (TypeScript sources) are inlined;
 * npm dependencies stay external and load from node_modules at run time.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";

const here = resolve(import.meta.dirname, "..");
const root = resolve(here, "../..");
const version = (JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as { version: string }).version;

await build({
  entryPoints: [resolve(here, "src/main.ts")],
  outfile: resolve(here, "dist/main.js"),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  // Everything from npm stays external; only @restic-manager/* workspace sources are bundled.
  plugins: [
    {
      name: "externalize-npm",
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith("@restic-manager/") ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
  define: { __SERVER_VERSION__: JSON.stringify(version) },
  logLevel: "warning",
});
console.log(`built apps/server/dist/main.js (version ${version})`);
