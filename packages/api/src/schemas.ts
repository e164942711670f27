/**
 * Input schemas shared by the procedures and the SPA's forms. Pure zod: importing this file
 * pulls no server code into the browser bundle.
 */
import {
  JOB_KINDS,
  JOB_STATUSES,
  RESTIC_DURATION,
  RESTIC_DURATION_HINT,
  ROLES,
  ZJobKind,
  ZJobStatus,
  ZRetention as ZWireRetention,
} from "@restic-manager/protocol/vocabulary";
import { z } from "zod";

export const PASSWORD_MIN = 12;

export const ZUsername = z.string().trim().min(2, "At least 2 characters.").max(64, "At most 64 characters.");
export const ZNewPassword = z
  .string()
  .min(PASSWORD_MIN, `At least ${PASSWORD_MIN} characters.`)
  .max(256, "At most 256 characters.");

export const ZSetupRequest = z.object({
  token: z.string().trim().min(1, "Paste the setup token from the server log."),
  username: ZUsername,
  password: ZNewPassword,
});

export const ZSignInRequest = z.object({
  username: z.string().trim().min(1, "Enter your username.").max(64),
  password: z.string().min(1, "Enter your password.").max(256),
});

export const ZCreateApiTokenRequest = z.object({
  name: z.string().trim().min(1, "Give the token a name.").max(64),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

export const ZRole = z.enum(ROLES);

export const ZCreateUserRequest = z.object({
  username: ZUsername,
  password: ZNewPassword,
  role: ZRole,
});

export const ZId = z.string().min(1).max(64);

export const ZAuditListRequest = z.object({
  action: z.string().max(64).optional(),
  actor: z.string().max(100).optional(),
  /** nextCursor of the previous page (newest first). */
  cursor: z.string().regex(/^\d+$/, "This page cursor is not one the console gave out.").nullish(),
  since: z.number().int().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

/** A restic repository string; the agent passes it to restic via RESTIC_REPOSITORY, never argv. */
export const ZRepoUrl = z
  .string()
  .trim()
  .min(1, "Enter the repository, e.g. /srv/restic/host1 or sftp:backup@nas:/restic/host1.")
  .max(2048)
  .refine((v) => !/[\r\n\0]/.test(v), "The repository must be one line.");

export const ZHostName = z
  .string()
  .trim()
  .min(1, "Enter the host's name.")
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Letters, digits, dot, underscore and hyphen only, e.g. web-01.example.com.");

export const ZCreateEnrollmentRequest = z.object({
  hostname: ZHostName,
  repoUrl: ZRepoUrl,
  repoUsername: z.string().trim().max(255).optional(),
  repoPassword: z.string().min(1, "Enter the repository password.").max(4096),
});

export const ZUpdateCredentialsRequest = z.object({
  hostId: ZId,
  repoUrl: ZRepoUrl,
  repoUsername: z.string().trim().max(255).optional(),
  /** Leave empty to keep the stored password. */
  repoPassword: z.string().max(4096).optional(),
});

/** The host list's filters and orders; packages/core/src/host-list.ts says what each means. */
export const HOST_LIST_STATUSES = ["attention", "active", "online", "offline", "pending", "revoked"] as const;
export const HOST_LIST_SORTS = ["name", "attention"] as const;
export const HOST_LIST_MAX_LIMIT = 200;

const ZHostSearch = z.string().trim().max(200, "Search for at most 200 characters.");
const ZHostListLimit = z
  .number()
  .int("The limit is a whole number of hosts.")
  .min(1, "Ask for at least 1 host a page.")
  .max(HOST_LIST_MAX_LIMIT, `At most ${HOST_LIST_MAX_LIMIT} hosts a page.`);

export const ZHostListRequest = z
  .strictObject(
    {
      search: ZHostSearch.optional(),
      status: z
        .enum(HOST_LIST_STATUSES, { error: () => `The status filter is one of: ${HOST_LIST_STATUSES.join(", ")}.` })
        .optional(),
      sort: z
        .enum(HOST_LIST_SORTS, { error: () => `The order is one of: ${HOST_LIST_SORTS.join(", ")}.` })
        .default("name"),
      limit: ZHostListLimit.default(50),
      /** nextCursor or prevCursor of an earlier page with the same sort; there is no offset. */
      cursor: z.string().max(2048, "This page cursor is not one the console gave out.").nullish(),
    },
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `Unknown field: ${issue.keys.join(", ")}. The host list takes search, status, sort, limit and cursor.`
          : undefined,
    },
  )
  .prefault({});

export const ZHostOptionsRequest = z
  .strictObject({ search: ZHostSearch.optional(), limit: ZHostListLimit.default(50) })
  .prefault({});

export { JOB_KINDS, JOB_STATUSES, ZJobKind, ZJobStatus };

/**
 * The protocol's retention, as a form sends it: keepWithin may be "" (the service stores null).
 * The SPA's source-group form validates with this very schema.
 */
export const ZRetention = ZWireRetention.extend({
  keepWithin: z
    .string()
    .trim()
    .max(32)
    .refine((v) => v === "" || RESTIC_DURATION.test(v), `Keep within takes ${RESTIC_DURATION_HINT}, or empty.`)
    .nullable(),
});

export const ZSourceGroupFields = z.object({
  name: z.string().trim().min(1, "Name the group, e.g. etc or databases.").max(64),
  includePaths: z.array(z.string().max(4096)).max(1000),
  excludePatterns: z.array(z.string().max(4096)).max(1000),
  retention: ZRetention.optional(),
  retryMax: z.number().int().min(0).max(100).optional(),
  retryBackoffSeconds: z.number().int().min(10).max(86_400).optional(),
  /** Omit to keep the stored hook; null or "" clears it. */
  preHook: z.string().max(16_384).nullable().optional(),
  postHook: z.string().max(16_384).nullable().optional(),
  hookTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
});
export const ZCreateSourceGroupRequest = ZSourceGroupFields.extend({ hostId: ZId });
export const ZUpdateSourceGroupRequest = ZSourceGroupFields.extend({ groupId: ZId });

export const ZBandwidth = z.object({
  uploadKbps: z.number().int().min(1).max(100_000_000).nullable(),
  downloadKbps: z.number().int().min(1).max(100_000_000).nullable(),
});

export const ZScheduleFields = z.object({
  cron: z.string().max(128),
  enabled: z.boolean(),
  sourceGroupIds: z.array(ZId).min(1, "Pick at least one source group.").max(64),
});

export const ZMaintenanceSettings = z.object({
  enabled: z.boolean(),
  forgetCron: z.string().max(128).nullable(),
  pruneCron: z.string().max(128).nullable(),
  checkCron: z.string().max(128).nullable(),
  checkSubsetPct: z.number().int().min(0).max(100),
});
