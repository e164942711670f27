// Replaced by `bun build --define AGENT_VERSION=...` (scripts/build.ts); absent under Node.
declare const AGENT_VERSION: string | undefined;

export const agentVersion: string = typeof AGENT_VERSION === "string" ? AGENT_VERSION : "0.0.0-dev";
