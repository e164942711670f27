import { resolve } from "node:path";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const SERVER_MAIN = resolve(REPO_ROOT, "apps/server/dist/main.js");
export const AGENT_BINARY = resolve(
  REPO_ROOT,
  "apps/agent/bin",
  `restic-manager-agent-linux-${process.arch === "arm64" ? "arm64" : "x64"}`,
);
