#!/usr/bin/env node
// Entry point of the agent binary (`bun build --compile src/main.ts`) and of `tsx src/main.ts`.
import { main } from "./cli.js";

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`fatal: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
