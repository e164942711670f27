import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { REPO_ROOT } from "./config.js";

declare const __SERVER_VERSION__: string | undefined;

/** Injected by the build (scripts/build.ts); read from package.json when run from source. */
export const SERVER_VERSION: string =
  typeof __SERVER_VERSION__ === "string"
    ? __SERVER_VERSION__
    : (JSON.parse(readFileSync(resolve(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
