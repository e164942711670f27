export type { JobFeedEvent, JobFeedEvents } from "@restic-manager/core";
export * from "./cookies.js";
export { errorIdOf, publicServerMessage } from "./errors.js";
export * from "./permissions.js";
export { type AppRouter, appRouter } from "./router.js";
export { createCallerFactory, type RequestContext, type Tier } from "./trpc.js";
