/**
 * `@restic-manager/api/schemas`: every request and response schema of the public API, for
 * the SPA's forms and for scripts. Pure zod (and the protocol's enums): importing it pulls no
 * server code into a browser bundle.
 */
export * from "./list.js";
export * from "./routers/alerts.types.js";
export * from "./routers/hosts.types.js";
export * from "./routers/jobs.types.js";
export * from "./routers/repo.types.js";
export * from "./routers/schedules.types.js";
export * from "./routers/sources.types.js";
export * from "./schemas.js";
