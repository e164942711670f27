import {
  type Database,
  hosts,
  newId,
  scheduleSourceGroups,
  schedules,
  sourceGroups,
  type Transaction,
} from "@restic-manager/db";
import { RESTIC_DURATION, RETENTION_COUNTS, type Retention } from "@restic-manager/protocol";
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { type Actor, writeAudit } from "./audit.js";
import { DomainError } from "./errors.js";
import type { EventBus } from "./events.js";
import type { SecretBox, SecretSlot } from "./secrets.js";

/** restic forget --keep-* rules; null = that rule is not used (defined in the protocol). */
export type { Retention };

export const EMPTY_RETENTION: Retention = {
  keepLast: null,
  keepHourly: null,
  keepDaily: null,
  keepWeekly: null,
  keepMonthly: null,
  keepYearly: null,
  keepWithin: null,
};

export interface SourceGroupInput {
  name: string;
  includePaths: string[];
  excludePatterns: string[];
  retention?: Retention | undefined;
  retryMax?: number | undefined;
  retryBackoffSeconds?: number | undefined;
  /** Shell commands; "" or null clears. Undefined keeps what is stored. */
  preHook?: string | null | undefined;
  postHook?: string | null | undefined;
  hookTimeoutSeconds?: number | undefined;
}

type HookColumn = "pre_hook_enc" | "post_hook_enc";
export const hookSlot = (groupId: string, column: HookColumn): SecretSlot => ({
  table: "source_groups",
  column,
  rowId: groupId,
});

const RETENTION_LABELS: Record<(typeof RETENTION_COUNTS)[number] | "keepWithin", string> = {
  keepLast: "keep last",
  keepHourly: "hourly",
  keepDaily: "daily",
  keepWeekly: "weekly",
  keepMonthly: "monthly",
  keepYearly: "yearly",
  keepWithin: "keep within",
};

export function retentionOf(group: Retention): Retention {
  return {
    keepLast: group.keepLast,
    keepHourly: group.keepHourly,
    keepDaily: group.keepDaily,
    keepWeekly: group.keepWeekly,
    keepMonthly: group.keepMonthly,
    keepYearly: group.keepYearly,
    keepWithin: group.keepWithin,
  };
}

export const hasRetention = (r: Retention) => RETENTION_COUNTS.some((k) => r[k] !== null) || r.keepWithin !== null;

/** "last 7, daily 14, within 30d" or "keep everything". */
export function describeRetention(r: Retention): string {
  const parts: string[] = [];
  for (const k of RETENTION_COUNTS) if (r[k] !== null) parts.push(`${RETENTION_LABELS[k]} ${r[k]}`);
  if (r.keepWithin) parts.push(`within ${r.keepWithin}`);
  return parts.length ? parts.join(", ") : "keep everything";
}

function validateRetention(r: Retention): Retention {
  const out = { ...r };
  for (const k of RETENTION_COUNTS) {
    const v = r[k];
    if (v === null) continue;
    if (!Number.isInteger(v) || v < 1 || v > 1_000_000) {
      throw new DomainError("BAD_REQUEST", `Retention ${RETENTION_LABELS[k]}: a whole number from 1, or empty.`);
    }
  }
  const within = r.keepWithin?.trim() || null;
  if (within !== null && !RESTIC_DURATION.test(within)) {
    throw new DomainError(
      "BAD_REQUEST",
      `Retention keep within: "${within.slice(0, 32)}" is not a restic duration such as 30d, 12h or 1y6m.`,
    );
  }
  out.keepWithin = within;
  return out;
}

/** Two groups whose paths overlap and whose retention differs: their snapshots follow two policies. */
export interface RetentionConflict {
  groupId: string;
  groupName: string;
  /** Overlapping path pairs: [this group's path, the other group's path]. */
  overlaps: [string, string][];
  thisRetention: string;
  otherRetention: string;
}

const normalisePath = (p: string) => p.replace(/\\/g, "/").replace(/\/+$/, "") || "/";
const within = (inner: string, outer: string) => inner === outer || outer === "/" || inner.startsWith(`${outer}/`);

export function findRetentionConflicts(
  draft: { id?: string | undefined; includePaths: string[]; retention: Retention },
  others: { id: string; name: string; includePaths: string[]; retention: Retention }[],
): RetentionConflict[] {
  const mine = describeRetention(draft.retention);
  const result: RetentionConflict[] = [];
  for (const other of others) {
    if (other.id === draft.id) continue;
    const theirs = describeRetention(other.retention);
    if (theirs === mine) continue;
    const overlaps: [string, string][] = [];
    for (const a of draft.includePaths) {
      for (const b of other.includePaths) {
        const na = normalisePath(a);
        const nb = normalisePath(b);
        if (within(na, nb) || within(nb, na)) overlaps.push([a, b]);
      }
    }
    if (overlaps.length) {
      result.push({ groupId: other.id, groupName: other.name, overlaps, thisRetention: mine, otherRetention: theirs });
    }
  }
  return result;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Paths go to restic as arguments after `--`, and patterns as `--exclude=<pattern>`, so
 * neither can become a flag; these checks give the operator a clear message up front.
 */
export function validateSourceGroup(input: SourceGroupInput) {
  const name = input.name.trim();
  if (!NAME.test(name)) {
    throw new DomainError(
      "BAD_REQUEST",
      "Group names are 1-64 letters, digits, dot, underscore or hyphen; the name becomes the snapshot tag.",
    );
  }
  const clean = (values: string[], what: string) =>
    values
      .map((v) => v.replace(/\r$/, ""))
      .filter((v) => v.trim() !== "")
      .map((v) => {
        if (/[\n\0]/.test(v))
          throw new DomainError("BAD_REQUEST", `${what} "${v.slice(0, 40)}" contains a line break.`);
        if (v.startsWith("-")) {
          throw new DomainError(
            "BAD_REQUEST",
            `${what} "${v.slice(0, 80)}" begins with "-", which restic would read as an option. Use an absolute path${what === "Exclude pattern" ? " or a pattern such as ./-name" : ""}.`,
          );
        }
        if (v.length > 4096) throw new DomainError("BAD_REQUEST", `${what} is longer than 4096 characters.`);
        return v;
      });
  const includePaths = clean(input.includePaths, "Path");
  const excludePatterns = clean(input.excludePatterns, "Exclude pattern");
  if (includePaths.length > 1000 || excludePatterns.length > 1000) {
    throw new DomainError("BAD_REQUEST", "A group can have at most 1000 paths and 1000 exclude patterns.");
  }
  const retention = validateRetention(input.retention ?? EMPTY_RETENTION);
  const retryMax = input.retryMax ?? 5;
  if (!Number.isInteger(retryMax) || retryMax < 0 || retryMax > 100) {
    throw new DomainError("BAD_REQUEST", "Retry on offline: the number of retries is 0 to 100.");
  }
  const retryBackoffSeconds = input.retryBackoffSeconds ?? 300;
  if (!Number.isInteger(retryBackoffSeconds) || retryBackoffSeconds < 10 || retryBackoffSeconds > 86_400) {
    throw new DomainError("BAD_REQUEST", "Retry on offline: the first backoff is 10 seconds to 24 hours.");
  }
  const hookTimeoutSeconds = input.hookTimeoutSeconds ?? 300;
  if (!Number.isInteger(hookTimeoutSeconds) || hookTimeoutSeconds < 1 || hookTimeoutSeconds > 86_400) {
    throw new DomainError("BAD_REQUEST", "Hook timeout: 1 second to 24 hours.");
  }
  const hook = (v: string | null | undefined, which: string) => {
    if (v === undefined) return undefined;
    const t = v?.replace(/\r\n/g, "\n").trim() ?? "";
    if (t.includes("\0")) throw new DomainError("BAD_REQUEST", `The ${which} hook contains a NUL byte.`);
    if (t.length > 16_384) throw new DomainError("BAD_REQUEST", `The ${which} hook is longer than 16384 characters.`);
    return t === "" ? null : t;
  };
  return {
    name,
    includePaths,
    excludePatterns,
    retention,
    retryMax,
    retryBackoffSeconds,
    hookTimeoutSeconds,
    preHook: hook(input.preHook, "pre"),
    postHook: hook(input.postHook, "post"),
  };
}

type ValidGroup = ReturnType<typeof validateSourceGroup>;

type GroupRow = typeof sourceGroups.$inferSelect;

/** A group as the API shows it: hooks as flags only (their text needs the operator tier, see hooks()). */
function present(row: GroupRow) {
  const { preHookEnc, postHookEnc, ...rest } = row;
  const retention = retentionOf(row);
  return {
    ...rest,
    retention,
    retentionSummary: describeRetention(retention),
    hasPreHook: preHookEnc !== null,
    hasPostHook: postHookEnc !== null,
  };
}

export class SourceGroupService {
  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  async list(hostId: string) {
    const rows = await this.db
      .select()
      .from(sourceGroups)
      .where(eq(sourceGroups.hostId, hostId))
      .orderBy(asc(sourceGroups.name));
    return rows.map(present);
  }

  async get(groupId: string) {
    return present(await this.#row(groupId));
  }

  async #row(groupId: string) {
    const [row] = await this.db.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
    if (!row) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
    return row;
  }

  /** The hook commands in plain text, for the edit form and for dispatch. */
  async hooks(groupId: string) {
    const row = await this.#row(groupId);
    return {
      preHook: row.preHookEnc ? this.secrets.decryptString(row.preHookEnc, hookSlot(groupId, "pre_hook_enc")) : null,
      postHook: row.postHookEnc
        ? this.secrets.decryptString(row.postHookEnc, hookSlot(groupId, "post_hook_enc"))
        : null,
      timeoutSeconds: row.hookTimeoutSeconds,
    };
  }

  /** Groups of the same host whose paths overlap with `draft` but whose retention differs. */
  async conflicts(hostId: string, draft: { id?: string | undefined; includePaths: string[]; retention: Retention }) {
    const others = await this.list(hostId);
    return findRetentionConflicts(draft, others);
  }

  /** Schedules that back up this group (delete is refused while any exists). */
  async schedulesUsing(groupId: string) {
    return this.db
      .select({ id: schedules.id, cron: schedules.cron, enabled: schedules.enabled })
      .from(scheduleSourceGroups)
      .innerJoin(schedules, eq(schedules.id, scheduleSourceGroups.scheduleId))
      .where(eq(scheduleSourceGroups.sourceGroupId, groupId));
  }

  #columns(id: string, input: ValidGroup) {
    const enc = (v: string | null | undefined, column: HookColumn) =>
      v === undefined ? undefined : v === null ? null : this.secrets.encrypt(v, hookSlot(id, column));
    const preHookEnc = enc(input.preHook, "pre_hook_enc");
    const postHookEnc = enc(input.postHook, "post_hook_enc");
    return {
      name: input.name,
      includePaths: input.includePaths,
      excludePatterns: input.excludePatterns,
      ...input.retention,
      retryMax: input.retryMax,
      retryBackoffSeconds: input.retryBackoffSeconds,
      hookTimeoutSeconds: input.hookTimeoutSeconds,
      ...(preHookEnc !== undefined ? { preHookEnc } : {}),
      ...(postHookEnc !== undefined ? { postHookEnc } : {}),
      updatedAt: new Date(this.now()),
    };
  }

  #bumpSchedules(tx: Transaction, hostId: string) {
    return tx
      .update(hosts)
      .set({ scheduleVersion: sql`${hosts.scheduleVersion} + 1` })
      .where(eq(hosts.id, hostId));
  }

  async create(hostId: string, raw: SourceGroupInput, actor: Actor) {
    const input = validateSourceGroup(raw);
    const id = newId();
    await this.db.transaction(async (tx) => {
      const [host] = await tx.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
      if (!host) throw new DomainError("NOT_FOUND", "No such host.");
      await assertNameFree(tx, hostId, input.name);
      await tx.insert(sourceGroups).values({ id, hostId, ...this.#columns(id, input) });
      await writeAudit(tx, actor, {
        action: "source_group.create",
        target: { type: "source_group", id },
        summary: `created source group "${input.name}" on "${host.name}" (${input.includePaths.length} paths, retention: ${describeRetention(input.retention)}${input.preHook || input.postHook ? ", with hooks" : ""})`,
      });
    });
    return this.get(id);
  }

  async update(groupId: string, raw: SourceGroupInput, actor: Actor) {
    const input = validateSourceGroup(raw);
    let hostId = "";
    await this.db.transaction(async (tx) => {
      const [group] = await tx.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
      if (!group) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
      await assertNameFree(tx, group.hostId, input.name, groupId);
      await tx.update(sourceGroups).set(this.#columns(groupId, input)).where(eq(sourceGroups.id, groupId));
      // The agent's armed set carries group names (the snapshot tags): a rename re-arms it.
      if (group.name !== input.name) await this.#bumpSchedules(tx, group.hostId);
      const hookChange =
        input.preHook !== undefined || input.postHook !== undefined ? "; hooks saved (not shown in the audit log)" : "";
      await writeAudit(tx, actor, {
        action: "source_group.update",
        target: { type: "source_group", id: groupId },
        summary: `updated source group "${input.name}" (${input.includePaths.length} paths, ${input.excludePatterns.length} excludes, retention: ${describeRetention(input.retention)}, ${input.retryMax} retries${hookChange})`,
      });
      hostId = group.hostId;
    });
    this.events.emit("host.schedules_changed", { hostId });
    return this.get(groupId);
  }

  async remove(groupId: string, actor: Actor) {
    await this.db.transaction(async (tx) => {
      const [group] = await tx.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
      if (!group) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
      const others = await tx
        .select({ id: sourceGroups.id })
        .from(sourceGroups)
        .where(and(eq(sourceGroups.hostId, group.hostId), ne(sourceGroups.id, groupId)))
        .limit(1);
      if (others.length === 0) {
        throw new DomainError(
          "CONFLICT",
          "This is the host's last source group. Create another one before deleting it.",
        );
      }
      const using = await tx
        .select({ id: schedules.id, cron: schedules.cron })
        .from(scheduleSourceGroups)
        .innerJoin(schedules, eq(schedules.id, scheduleSourceGroups.scheduleId))
        .where(eq(scheduleSourceGroups.sourceGroupId, groupId));
      if (using.length) {
        throw new DomainError(
          "CONFLICT",
          `"${group.name}" is still backed up by ${using.length === 1 ? "a schedule" : `${using.length} schedules`}: ${using.map((s) => `"${s.cron}"`).join(", ")}. Remove it from ${using.length === 1 ? "that schedule" : "those schedules"} first.`,
        );
      }
      await tx.delete(sourceGroups).where(eq(sourceGroups.id, groupId));
      await writeAudit(tx, actor, {
        action: "source_group.delete",
        target: { type: "source_group", id: groupId },
        summary: `deleted source group "${group.name}"`,
      });
    });
  }
}

async function assertNameFree(tx: Transaction, hostId: string, name: string, exceptId?: string) {
  const rows = await tx
    .select({ id: sourceGroups.id })
    .from(sourceGroups)
    .where(and(eq(sourceGroups.hostId, hostId), eq(sourceGroups.name, name)));
  if (rows.some((r) => r.id !== exceptId)) {
    throw new DomainError("CONFLICT", `This host already has a source group named "${name}".`);
  }
}
