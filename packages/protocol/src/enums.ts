/**
 * The console's enums as plain constants: no zod, so the SPA's lists and filters can import
 * them without pulling any schema into the initial bundle. vocabulary.ts builds the schemas.
 */
export const JOB_KINDS = ["init", "backup", "forget", "prune", "check", "unlock", "restore", "diff"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_FINAL_STATUSES = ["succeeded", "failed", "cancelled"] as const;
export type JobFinalStatus = (typeof JOB_FINAL_STATUSES)[number];

/**
 * Every status a job row can have: the agent reports the final ones above; the server adds
 * queued/running and `interrupted` (the agent or server went away mid-job). The one list the
 * database, the API and the SPA use.
 */
export const JOB_STATUSES = ["queued", "running", ...JOB_FINAL_STATUSES, "interrupted"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

// The console's own vocabulary, defined here because this is the one package the database, the
// services, the API and the SPA may all import. The agent never sees these.

/** What made a job: "manual", "schedule", "catch-up", "maintenance", "system". */
export const JOB_TRIGGERS = ["manual", "schedule", "catch-up", "maintenance", "system"] as const;
export type JobTrigger = (typeof JOB_TRIGGERS)[number];

export const HOST_STATUSES = ["pending", "online", "offline", "revoked"] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

/** Why a host needs an operator, most urgent first (the index is the host's attention rank). */
export const HOST_ATTENTION_REASONS = [
  "backup_failed",
  "offline",
  "never_connected",
  "never_backed_up",
  "healthy",
  "revoked",
] as const;
export type HostAttention = (typeof HOST_ATTENTION_REASONS)[number];

export const ROLES = ["admin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** A restic duration for --keep-within: "30d", "12h", "1y6m". */
export const RESTIC_DURATION = /^(\d+[ymdh])+$/;
export const RESTIC_DURATION_HINT = "a restic duration such as 30d, 12h or 1y6m";
/** The counting --keep-* rules, in the order restic documents them; keepWithin is the seventh. */
export const RETENTION_COUNTS = [
  "keepLast",
  "keepHourly",
  "keepDaily",
  "keepWeekly",
  "keepMonthly",
  "keepYearly",
] as const;

/** The alert rules the console evaluates (docs/alerts.md). */
export const ALERT_RULES = [
  "backup_failed",
  "rpo_breached",
  "agent_offline",
  "check_failed",
  "stale_lock",
  "repo_unreachable",
  "run_abandoned",
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export const ALERT_SEVERITIES = ["critical", "warning", "info"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** open -> acknowledged -> resolved; resolved by hand or when the condition clears. */
export const ALERT_STATUSES = ["open", "acknowledged", "resolved"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const ALERT_CHANNEL_KINDS = ["webhook", "ntfy", "email"] as const;
export type AlertChannelKind = (typeof ALERT_CHANNEL_KINDS)[number];

/** Why a notification was sent. */
export const ALERT_DELIVERY_EVENTS = ["opened", "resolved", "renotify", "test"] as const;
export type AlertDeliveryEvent = (typeof ALERT_DELIVERY_EVENTS)[number];

/** One row per attempt: queued (waiting for its time), sending, delivered or failed. */
export const ALERT_DELIVERY_STATUSES = ["queued", "sending", "delivered", "failed"] as const;
export type AlertDeliveryStatus = (typeof ALERT_DELIVERY_STATUSES)[number];
