/**
 * The whole database schema. Only drizzle-kit turns this into SQL (`npm run db:generate`);
 * migrations in /drizzle are never edited by hand after they land.
 *
 * Conventions: ids are app-generated ULIDs (sortable, known before insert so encrypted
 * columns can bind their row id as additional authenticated data); times are epoch
 * milliseconds; columns ending in `_enc` hold AES-256-GCM blobs from core/secrets.
 */
import type { JobProgress } from "@restic-manager/protocol";

// The enums (roles, host and job statuses, job kinds and triggers) are defined once, in the
// protocol: the lowest layer the services, the API and the SPA all import.
import {
  ALERT_CHANNEL_KINDS,
  ALERT_DELIVERY_EVENTS,
  ALERT_DELIVERY_STATUSES,
  ALERT_RULES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  HOST_STATUSES,
  JOB_KINDS,
  JOB_STATUSES,
  JOB_TRIGGERS,
  ROLES,
} from "@restic-manager/protocol";
import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export { ROLES, type Role } from "@restic-manager/protocol";

/** Key/value facts about this installation, e.g. the secret-key check value. */
export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    disabledAt: integer("disabled_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    lastSignInAt: integer("last_sign_in_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("users_username_unique").on(sql`lower(${t.username})`)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** SHA-256 of the cookie token, hex. The token itself is never stored. */
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** SHA-256 of the bearer, hex. */
    tokenHash: text("token_hash").notNull(),
    /** First characters of the bearer, so an operator can tell tokens apart. */
    prefix: text("prefix").notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("api_tokens_hash_unique").on(t.tokenHash), index("api_tokens_user_idx").on(t.userId)],
);

export { HOST_STATUSES, type HostStatus } from "@restic-manager/protocol";

export const hosts = sqliteTable(
  "hosts",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    status: text("status", { enum: HOST_STATUSES }).notNull().default("pending"),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    os: text("os"),
    arch: text("arch"),
    reportedHostname: text("reported_hostname"),
    agentVersion: text("agent_version"),
    resticVersion: text("restic_version"),
    /** Why restic is unusable on the host, as the agent reported it; null when fine. */
    resticError: text("restic_error"),
    protocolVersion: integer("protocol_version"),
    /** SHA-256 of the agent's persistent bearer, hex. Null until enrolment completes. */
    agentTokenHash: text("agent_token_hash"),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }),
    /** Bumped when anything pushed in config.update changes; the agent acks the version it applied. */
    configVersion: integer("config_version").notNull().default(1),
    configAckedVersion: integer("config_acked_version"),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    // Denormalised so the dashboard never scans jobs or snapshots.
    lastBackupAt: integer("last_backup_at", { mode: "timestamp_ms" }),
    lastBackupStatus: text("last_backup_status"),
    snapshotCount: integer("snapshot_count").notNull().default(0),
    repoSizeBytes: integer("repo_size_bytes"),
    /** Before compression, from the last `restic stats --mode raw-data`; null when restic does not say. */
    repoRawSizeBytes: integer("repo_raw_size_bytes"),
    repoStatsAt: integer("repo_stats_at", { mode: "timestamp_ms" }),
    /** Set when a job failed on a repository lock; cleared by a job that got through. */
    repoLockError: text("repo_lock_error"),
    repoLockAt: integer("repo_lock_at", { mode: "timestamp_ms" }),
    /** IANA zone the agent reported; schedules fire in it. */
    timezone: text("timezone").notNull().default("UTC"),
    /** Host-wide restic --limit-upload / --limit-download in KiB/s; null = unlimited. */
    bandwidthUpKbps: integer("bandwidth_up_kbps"),
    bandwidthDownKbps: integer("bandwidth_down_kbps"),
    /** Bumped on every change to the schedule set the agent arms; the agent acks what it armed. */
    scheduleVersion: integer("schedule_version").notNull().default(1),
    scheduleAckedVersion: integer("schedule_acked_version"),
    scheduleAckError: text("schedule_ack_error"),
    /**
     * How urgently the host needs an operator, lowest first (HOST_ATTENTION): the dashboard lists
     * hosts in this order. Computed on read (virtual), so no writer has to keep it right.
     */
    attentionRank: integer("attention_rank").generatedAlwaysAs(
      sql`CASE
        WHEN status = 'revoked' THEN 5
        WHEN last_backup_status IN ('failed', 'interrupted') THEN 0
        WHEN last_seen_at IS NULL THEN 2
        WHEN status <> 'online' THEN 1
        WHEN last_backup_at IS NULL THEN 3
        ELSE 4
      END`,
      { mode: "virtual" },
    ),
  },
  (t) => [
    uniqueIndex("hosts_agent_token_unique").on(t.agentTokenHash),
    // The host list pages by (sort key, name, id) on these; the name index also carries what a
    // search matches, so a search reads the index and never the table rows.
    index("hosts_status_name_idx").on(t.status, t.name, t.id),
    index("hosts_name_search_idx").on(t.name, t.id, t.reportedHostname, t.tags),
    index("hosts_attention_idx").on(t.attentionRank, t.name, t.id),
  ],
);

/** The attention_rank values, most urgent first. */
export const HOST_ATTENTION = {
  backupFailed: 0,
  offline: 1,
  neverConnected: 2,
  neverBackedUp: 3,
  healthy: 4,
  revoked: 5,
} as const;

export const enrollmentTokens = sqliteTable(
  "enrollment_tokens",
  {
    id: text("id").primaryKey(),
    /** SHA-256 of the one-time token, hex. */
    tokenHash: text("token_hash").notNull(),
    hostname: text("hostname").notNull(),
    /** Encrypted repository credentials, moved to host_credentials on consumption. */
    credentialsEnc: blob("credentials_enc", { mode: "buffer" }).notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    consumedAt: integer("consumed_at", { mode: "timestamp_ms" }),
    /** The host this token created, once consumed. */
    hostId: text("host_id").references(() => hosts.id, { onDelete: "set null" }),
  },
  (t) => [uniqueIndex("enrollment_tokens_hash_unique").on(t.tokenHash)],
);

export const hostCredentials = sqliteTable("host_credentials", {
  hostId: text("host_id")
    .primaryKey()
    .references(() => hosts.id, { onDelete: "cascade" }),
  repoUrl: text("repo_url").notNull(),
  repoUsername: text("repo_username"),
  /** Encrypted repository password (AAD: host_credentials/password_enc/<host id>). */
  passwordEnc: blob("password_enc", { mode: "buffer" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  /**
   * The second credential slot, for prune: a non-append-only user for the same repository.
   * Sent to the agent only inside a prune command, never in config.update or jobs.params.
   */
  adminUsername: text("admin_username"),
  /** Encrypted (AAD: host_credentials/admin_password_enc/<host id>); null when not set. */
  adminPasswordEnc: blob("admin_password_enc", { mode: "buffer" }),
});

export const sourceGroups = sqliteTable(
  "source_groups",
  {
    id: text("id").primaryKey(),
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    includePaths: text("include_paths", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    excludePatterns: text("exclude_patterns", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** restic forget --keep-* for the snapshots tagged with this group's name; null = not kept by that rule. */
    keepLast: integer("keep_last"),
    keepHourly: integer("keep_hourly"),
    keepDaily: integer("keep_daily"),
    keepWeekly: integer("keep_weekly"),
    keepMonthly: integer("keep_monthly"),
    keepYearly: integer("keep_yearly"),
    keepWithin: text("keep_within"),
    /** A scheduled run that finds the host offline is retried this many times, backing off from this. */
    retryMax: integer("retry_max").notNull().default(5),
    retryBackoffSeconds: integer("retry_backoff_seconds").notNull().default(300),
    /** Encrypted shell hooks (AAD: source_groups/<column>/<group id>); null = none. */
    preHookEnc: blob("pre_hook_enc", { mode: "buffer" }),
    postHookEnc: blob("post_hook_enc", { mode: "buffer" }),
    hookTimeoutSeconds: integer("hook_timeout_seconds").notNull().default(300),
    /** The RPO alert's window for this group in minutes; null = derived from its schedules. */
    rpoMinutes: integer("rpo_minutes"),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [uniqueIndex("source_groups_host_name_unique").on(t.hostId, t.name)],
);

export {
  JOB_KINDS,
  JOB_STATUSES,
  JOB_TRIGGERS,
  type JobKind,
  type JobStatus,
  type JobTrigger,
} from "@restic-manager/protocol";

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("queued"),
    sourceGroupId: text("source_group_id").references(() => sourceGroups.id, { onDelete: "set null" }),
    /** Who asked: "user:<id>", "schedule:<id>", "system". */
    actor: text("actor").notNull(),
    /** The actor's display name when the job was created, so every viewer sees who asked. */
    actorName: text("actor_name"),
    /** The command.run params (never secrets), shown on the job page. */
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    /** When command.run went down the socket. */
    dispatchedAt: integer("dispatched_at", { mode: "timestamp_ms" }),
    startedAt: integer("started_at", { mode: "timestamp_ms" }),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    stats: text("stats", { mode: "json" }).$type<Record<string, unknown>>(),
    /** Latest job.progress payload, so a page opened mid-job shows where it is. */
    progress: text("progress", { mode: "json" }).$type<JobProgress>(),
    exitCode: integer("exit_code"),
    error: text("error"),
    /** Highest agent event seq applied; replays at or below it are acknowledged and dropped. */
    lastSeq: integer("last_seq").notNull().default(0),
    logLines: integer("log_lines").notNull().default(0),
    logBytes: integer("log_bytes").notNull().default(0),
    logTruncated: integer("log_truncated", { mode: "boolean" }).notNull().default(false),
    /** The schedule whose slot this backup is for; with the group and the slot it is unique. */
    scheduleId: text("schedule_id"),
    scheduledFor: integer("scheduled_for", { mode: "timestamp_ms" }),
    /** What made it: "manual", "schedule", "catch-up", "maintenance", "system". */
    trigger: text("trigger", { enum: JOB_TRIGGERS }).notNull().default("manual"),
    /** A per-run bandwidth override; null = the host's caps at the time it is sent. */
    limits: text("limits", { mode: "json" }).$type<{ uploadKbps: number | null; downloadKbps: number | null }>(),
  },
  (t) => [
    // Every list is "newest first" by the ULID id, so each filter has an index ending in id.
    index("jobs_host_idx").on(t.hostId, t.id),
    index("jobs_host_kind_idx").on(t.hostId, t.kind, t.id),
    index("jobs_status_idx").on(t.status, t.id),
    index("jobs_kind_idx").on(t.kind, t.id),
    index("jobs_created_idx").on(t.createdAt),
    uniqueIndex("jobs_schedule_slot_unique").on(t.scheduleId, t.sourceGroupId, t.scheduledFor),
    index("jobs_schedule_idx").on(t.scheduleId, t.id),
    // "Is anything queued or running on this host?" on every dispatch, fire and tick.
    index("jobs_host_status_idx").on(t.hostId, t.status),
  ],
);

export const jobLogs = sqliteTable(
  "job_logs",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    stream: text("stream", { enum: ["stdout", "stderr", "system"] }).notNull(),
    line: text("line").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

export const snapshots = sqliteTable(
  "snapshots",
  {
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    /** restic's full snapshot id. */
    snapshotId: text("snapshot_id").notNull(),
    shortId: text("short_id").notNull(),
    time: integer("time", { mode: "timestamp_ms" }).notNull(),
    hostname: text("hostname"),
    paths: text("paths", { mode: "json" }).$type<string[]>().notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    summary: text("summary", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.snapshotId] }), index("snapshots_host_time_idx").on(t.hostId, t.time)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    /** "user:<id>", "token:<id>", "agent:<host id>", "system". */
    actor: text("actor").notNull(),
    actorName: text("actor_name"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    summary: text("summary").notNull(),
  },
  (t) => [index("audit_at_idx").on(t.at), index("audit_action_idx").on(t.action)],
);

/** A backup schedule: a cron in the host's time zone over one or more source groups. */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    cron: text("cron").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** Every slot up to here is accounted for (ran, queued as pending, or before the schedule existed). */
    accountedUntil: integer("accounted_until", { mode: "timestamp_ms" }).notNull(),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("schedules_host_idx").on(t.hostId)],
);

export const scheduleSourceGroups = sqliteTable(
  "schedule_source_groups",
  {
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    sourceGroupId: text("source_group_id")
      .notNull()
      .references(() => sourceGroups.id, { onDelete: "cascade" }),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.sourceGroupId] }), index("ssg_group_idx").on(t.sourceGroupId)],
);

/** Forget / prune / check cadences of a host's repository, run by the server's maintenance ticker. */
export const hostRepoMaintenance = sqliteTable("host_repo_maintenance", {
  hostId: text("host_id")
    .primaryKey()
    .references(() => hosts.id, { onDelete: "cascade" }),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** Cron expressions in the host's time zone; null = never on a cadence (Run-now only). */
  forgetCron: text("forget_cron"),
  pruneCron: text("prune_cron"),
  checkCron: text("check_cron"),
  /** restic check --read-data-subset as a percentage; 0 reads no pack data. */
  checkSubsetPct: integer("check_subset_pct").notNull().default(5),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * Scheduled backups that could not start (host offline, or its agent never fired the slot).
 * One row per (schedule, group): missed slots coalesce into one catch-up run.
 */
export const pendingRuns = sqliteTable(
  "pending_runs",
  {
    id: text("id").primaryKey(),
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    sourceGroupId: text("source_group_id")
      .notNull()
      .references(() => sourceGroups.id, { onDelete: "cascade" }),
    /** The latest missed slot; the catch-up job is recorded against it. */
    slotAt: integer("slot_at", { mode: "timestamp_ms" }).notNull(),
    missedSlots: integer("missed_slots").notNull().default(1),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("pending_runs_schedule_group_unique").on(t.scheduleId, t.sourceGroupId),
    index("pending_runs_next_idx").on(t.nextAttemptAt),
    index("pending_runs_host_idx").on(t.hostId),
  ],
);

/**
 * Alert rule settings: the fleet defaults (scope "fleet", host_id null) and per-host overrides
 * (scope = host id). A null column inherits the fleet value, and the fleet's null the built-in one.
 */
export const alertRuleSettings = sqliteTable(
  "alert_rule_settings",
  {
    scope: text("scope").notNull(),
    hostId: text("host_id").references(() => hosts.id, { onDelete: "cascade" }),
    rule: text("rule", { enum: ALERT_RULES }).notNull(),
    enabled: integer("enabled", { mode: "boolean" }),
    /** The rule's threshold: minutes offline, hours of a stale lock, minutes of RPO grace. */
    threshold: integer("threshold"),
    severity: text("severity", { enum: ALERT_SEVERITIES }),
    /** Re-send an unacknowledged open alert this often; null = never (fleet scope only). */
    renotifyMinutes: integer("renotify_minutes"),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.rule] })],
);

export {
  ALERT_RULES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  type AlertRule,
  type AlertSeverity,
  type AlertStatus,
} from "@restic-manager/protocol";

export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    rule: text("rule", { enum: ALERT_RULES }).notNull(),
    hostId: text("host_id")
      .notNull()
      .references(() => hosts.id, { onDelete: "cascade" }),
    sourceGroupId: text("source_group_id").references(() => sourceGroups.id, { onDelete: "cascade" }),
    /** The group id or "" for host-wide rules, so "one unresolved alert per (rule, host, group)" is an index. */
    groupKey: text("group_key").notNull().default(""),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    status: text("status", { enum: ALERT_STATUSES }).notNull().default("open"),
    summary: text("summary").notNull(),
    /** The job that raised (or last repeated) it, when a job did. */
    jobId: text("job_id"),
    firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    count: integer("count").notNull().default(1),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: integer("acknowledged_at", { mode: "timestamp_ms" }),
    ackNote: text("ack_note"),
    resolvedBy: text("resolved_by"),
    resolvedAt: integer("resolved_at", { mode: "timestamp_ms" }),
    /** "auto" (the condition cleared) or "manual". */
    resolvedHow: text("resolved_how", { enum: ["auto", "manual"] }),
    lastNotifiedAt: integer("last_notified_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    uniqueIndex("alerts_unresolved_unique").on(t.rule, t.hostId, t.groupKey).where(sql`status <> 'resolved'`),
    index("alerts_status_idx").on(t.status, t.id),
    index("alerts_host_idx").on(t.hostId, t.id),
  ],
);

export const alertChannels = sqliteTable("alert_channels", {
  id: text("id").primaryKey(),
  kind: text("kind", { enum: ALERT_CHANNEL_KINDS }).notNull(),
  name: text("name").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** Non-secret settings (URL, topic, SMTP host, recipients). */
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  /** Encrypted JSON of the channel's secrets (AAD: alert_channels/secret_enc/<id>); null = none. */
  secretEnc: blob("secret_enc", { mode: "buffer" }),
  /** Routing; an empty list matches everything. */
  routeRules: text("route_rules", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  routeSeverities: text("route_severities", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  routeHostTags: text("route_host_tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  /** Attempts that failed in a row; the channel is flagged failing at FAILING_AFTER. */
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  lastError: text("last_error"),
  lastDeliveredAt: integer("last_delivered_at", { mode: "timestamp_ms" }),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** One row per delivery attempt of one event to one channel. */
export const alertDeliveries = sqliteTable(
  "alert_deliveries",
  {
    id: text("id").primaryKey(),
    /** Null for a channel's "Send test". */
    alertId: text("alert_id").references(() => alerts.id, { onDelete: "cascade" }),
    channelId: text("channel_id")
      .notNull()
      .references(() => alertChannels.id, { onDelete: "cascade" }),
    event: text("event", { enum: ALERT_DELIVERY_EVENTS }).notNull(),
    attempt: integer("attempt").notNull().default(1),
    status: text("status", { enum: ALERT_DELIVERY_STATUSES }).notNull().default("queued"),
    error: text("error"),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: createdAt(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("alert_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("alert_deliveries_alert_idx").on(t.alertId, t.id),
    index("alert_deliveries_channel_idx").on(t.channelId, t.id),
  ],
);
