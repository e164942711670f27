/** alerts.*, channels.*, alertRules.*: the request and response schemas scripts and the SPA share. Pure zod. */
import {
  ALERT_CHANNEL_KINDS,
  ALERT_DELIVERY_EVENTS,
  ALERT_DELIVERY_STATUSES,
  ALERT_RULES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  HOST_STATUSES,
  JOB_STATUSES,
} from "@restic-manager/protocol/enums";
import { z } from "zod";
import { ZCountedPage, ZCursor, ZPage } from "../list.js";
import { ZId } from "../schemas.js";

export const ZAlertRule = z.enum(ALERT_RULES);
export const ZAlertSeverity = z.enum(ALERT_SEVERITIES);
export const ZAlertStatus = z.enum(ALERT_STATUSES);

// ---- alerts ----

export const ZAlertListRequest = z.object({
  /** "unresolved": open and acknowledged. */
  status: z.union([ZAlertStatus, z.literal("unresolved")]).optional(),
  hostId: ZId.optional(),
  rule: ZAlertRule.optional(),
  severity: ZAlertSeverity.optional(),
  /** nextCursor of the previous page (newest first). */
  cursor: ZCursor.nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});
export const ZAlert = z.object({
  id: z.string(),
  rule: ZAlertRule,
  severity: ZAlertSeverity,
  status: ZAlertStatus,
  hostId: z.string(),
  hostName: z.string(),
  sourceGroupId: z.string().nullable(),
  sourceGroupName: z.string().nullable(),
  summary: z.string(),
  /** The job that raised or last repeated it. */
  jobId: z.string().nullable(),
  count: z.number().int(),
  firstSeenAt: z.date(),
  lastSeenAt: z.date(),
  acknowledgedBy: z.string().nullable(),
  acknowledgedAt: z.date().nullable(),
  ackNote: z.string().nullable(),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.date().nullable(),
  resolvedHow: z.enum(["auto", "manual"]).nullable(),
});
export const ZAlertListResponse = ZCountedPage(ZAlert);

export const ZAlertGetRequest = z.object({ alertId: ZId });
export const ZAlertDelivery = z.object({
  id: z.string(),
  channelId: z.string(),
  channelName: z.string(),
  event: z.enum(ALERT_DELIVERY_EVENTS),
  attempt: z.number().int(),
  status: z.enum(ALERT_DELIVERY_STATUSES),
  error: z.string().nullable(),
  nextAttemptAt: z.date(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
});
/** The alert with its delivery log (one row per attempt, newest first). */
export const ZAlertGetResponse = ZAlert.extend({ deliveries: z.array(ZAlertDelivery) });

const ZNote = z.string().trim().max(1000, "At most 1000 characters.").nullish();
export const ZAlertAcknowledgeRequest = z.object({ alertId: ZId, note: ZNote });
export const ZAlertAcknowledgeResponse = ZAlert;
export const ZAlertResolveRequest = z.object({ alertId: ZId, note: ZNote });
export const ZAlertResolveResponse = ZAlert;
export const ZAlertOpenCountResponse = z.object({
  total: z.number().int(),
  bySeverity: z.object({ critical: z.number().int(), warning: z.number().int(), info: z.number().int() }),
});

// ---- backup health ----

export const ZBackupHealthState = z.enum(["failing", "rpo_breached", "never_backed_up", "unscheduled", "ok"]);
export const ZBackupHealthRequest = z.object({ hostId: ZId.optional() });
export const ZBackupHealthItem = z.object({
  sourceGroupId: z.string(),
  sourceGroupName: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  hostStatus: z.enum(HOST_STATUSES),
  /** Most urgent first: failing, rpo_breached, never_backed_up, unscheduled (no enabled schedule), ok. */
  state: ZBackupHealthState,
  lastBackupAt: z.date().nullable(),
  lastBackupStatus: z.enum(JOB_STATUSES).nullable(),
  lastBackupJobId: z.string().nullable(),
  lastSuccessAt: z.date().nullable(),
  /** null: no enabled schedule covers the group, so it has no RPO. */
  rpoMinutes: z.number().int().nullable(),
  rpoSource: z.enum(["group", "schedule"]).nullable(),
  rpoDueAt: z.date().nullable(),
  openAlerts: z.number().int(),
});
/** Every group of the fleet (or host), most urgent first, with counts per state. Not paged. */
export const ZBackupHealthResponse = ZCountedPage(ZBackupHealthItem).extend({
  counts: z.record(ZBackupHealthState, z.number().int()),
});

// ---- channels (admin) ----

const ZHttpUrl = z.string().trim().url("Enter a URL such as https://hooks.example.com/restic.").max(2048);
const ZRouting = z.object({
  rules: z.array(ZAlertRule).default([]),
  severities: z.array(ZAlertSeverity).default([]),
  hostTags: z.array(z.string().trim().min(1).max(64)).max(50).default([]),
});
const ZSecretValue = z.string().min(1).max(1024);
const channelBase = {
  name: z.string().trim().min(1, "Give the channel a name.").max(100, "At most 100 characters."),
  enabled: z.boolean().default(true),
  routing: ZRouting.default({ rules: [], severities: [], hostTags: [] }),
};
/**
 * A channel as written. `secret` is write-only: omit it on update to keep the stored one, pass
 * `{}` to clear it. It is never sent back.
 */
export const ZChannelInput = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("webhook"),
    ...channelBase,
    settings: z.object({ url: ZHttpUrl }),
    secret: z.object({ signingSecret: z.string().min(16, "At least 16 characters.").max(1024) }).optional(),
  }),
  z.object({
    kind: z.literal("ntfy"),
    ...channelBase,
    settings: z.object({
      serverUrl: ZHttpUrl,
      topic: z.string().trim().min(1).max(64),
      username: z.string().trim().max(128).nullish(),
    }),
    secret: z.object({ token: ZSecretValue.optional(), password: ZSecretValue.optional() }).optional(),
  }),
  z.object({
    kind: z.literal("email"),
    ...channelBase,
    settings: z.object({
      host: z.string().trim().min(1, "Enter the SMTP server.").max(255),
      port: z.number().int().min(1).max(65535),
      security: z.enum(["tls", "starttls", "none"]),
      username: z.string().trim().max(255).nullish(),
      from: z.string().trim().email("Enter the sender address."),
      to: z.array(z.string().trim().email("Enter e-mail addresses.")).min(1, "Add at least one recipient.").max(50),
    }),
    secret: z.object({ password: ZSecretValue.optional() }).optional(),
  }),
]);
export const ZChannel = z.object({
  id: z.string(),
  kind: z.enum(ALERT_CHANNEL_KINDS),
  name: z.string(),
  enabled: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
  /** Whether a secret is stored; the secret itself is never answered. */
  hasSecret: z.boolean(),
  routing: z.object({ rules: z.array(ZAlertRule), severities: z.array(ZAlertSeverity), hostTags: z.array(z.string()) }),
  consecutiveFailures: z.number().int(),
  /** Failed attempts in a row reached the threshold: check the channel's settings. */
  failing: z.boolean(),
  lastError: z.string().nullable(),
  lastDeliveredAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export const ZChannelListResponse = ZPage(ZChannel).extend({ total: z.number().int() });
export const ZChannelCreateRequest = ZChannelInput;
export const ZChannelCreateResponse = ZChannel;
export const ZChannelUpdateRequest = z.object({ channelId: ZId, channel: ZChannelInput });
export const ZChannelUpdateResponse = ZChannel;
export const ZChannelDeleteRequest = z.object({ channelId: ZId });
export const ZChannelTestRequest = z.object({ channelId: ZId });
export const ZChannelTestResponse = z.object({ ok: z.boolean(), error: z.string().nullable(), deliveryId: z.string() });

// ---- alertRules (admin) ----

export const ZRuleSetting = z.object({
  enabled: z.boolean(),
  severity: ZAlertSeverity,
  /** agent_offline: minutes; stale_lock: hours; rpo_breached: grace minutes; others: null. */
  threshold: z.number().int().nullable(),
});
const ZRuleOverride = z.object({
  enabled: z.boolean().nullish(),
  severity: ZAlertSeverity.nullish(),
  threshold: z.number().int().min(1).max(525_600).nullish(),
});
export const ZAlertRulesGetRequest = z.object({ hostId: ZId.nullish() });
export const ZAlertRulesGetResponse = z.object({
  hostId: z.string().nullable(),
  /** What applies: the host's override, else the fleet's value, else the built-in default. */
  rules: z.record(ZAlertRule, ZRuleSetting),
  renotifyMinutes: z.number().int().nullable(),
  /** The host's own values (null = inherited). */
  overrides: z.partialRecord(ZAlertRule, ZRuleOverride),
  groups: z.array(z.object({ sourceGroupId: z.string(), name: z.string(), rpoMinutes: z.number().int().nullable() })),
});
export const ZAlertRulesUpdateRequest = z.object({
  /** Absent: the fleet defaults. */
  hostId: ZId.nullish(),
  /** Per rule; null in a field = inherit again. */
  rules: z.partialRecord(ZAlertRule, ZRuleOverride).default({}),
  /** Fleet only: re-send unacknowledged open alerts this often; null = never. */
  renotifyMinutes: z.number().int().min(5).max(10_080).nullish(),
  /** Host only: per source group RPO in minutes; null = derived from its schedules. */
  groupRpo: z
    .array(z.object({ sourceGroupId: ZId, rpoMinutes: z.number().int().min(5).max(525_600).nullable() }))
    .max(500)
    .optional(),
});
export const ZAlertRulesUpdateResponse = ZAlertRulesGetResponse;
