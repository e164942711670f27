/**
 * Jobs, in rooms with one job each:
 * - dispatch.ts: create, queue (single-flight per host), send, cancel;
 * - run-now.ts: "run X now" for every kind;
 * - agent-events.ts + log-ingest.ts: the agent's job events, acks, heartbeat reconciliation;
 * - finish.ts: ending a job, whoever ends it;
 * - reports.ts: snapshot listings and repository stats;
 * - queries.ts: reading jobs and logs.
 */
export * from "./agent-events.js";
export * from "./dispatch.js";
export * from "./feed.js";
export { ACTIVE_STATUSES, type FinishDetails, HostActivity } from "./finish.js";
export * from "./log-ingest.js";
export * from "./queries.js";
export * from "./reports.js";
export * from "./run-now.js";
