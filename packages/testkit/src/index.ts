export * from "./agent-process.js";
export * from "./alert-sinks.js";
export * from "./console-process.js";
export * from "./enroll.js";
export * from "./paths.js";
export * from "./trpc-client.js";
