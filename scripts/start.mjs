#!/usr/bin/env node
// `npm start`: install what is missing, build, and run the console on its embedded defaults.
import { build, ensureNodeModules, ROOT, spawn } from "./lib.mjs";

ensureNodeModules();
build(["@restic-manager/server", "@restic-manager/web", "@restic-manager/agent"]);

const child = spawn(process.execPath, ["apps/server/dist/main.js"], { cwd: ROOT, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
