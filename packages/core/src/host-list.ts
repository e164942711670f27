/**
 * The host list, a page at a time: search, a status filter, two orders, keyset paging.
 *
 * Every order ends in (name, id) and has an index that starts with its key (hosts_name_search_idx,
 * hosts_attention_idx, hosts_status_name_idx), so a page is an index walk that LIMIT stops; a
 * cursor is the sort key of the row it continues from, never an offset. The total is one count
 * over an index, skipped when the first page already holds everything.
 */
import {
  type Database,
  HOST_ATTENTION,
  hosts,
  scheduleSourceGroups,
  schedules,
  sourceGroups,
} from "@restic-manager/db";
import { HOST_ATTENTION_REASONS, type HostAttention } from "@restic-manager/protocol";
import { and, asc, desc, eq, inArray, isNotNull, type SQL, sql } from "drizzle-orm";
import { DomainError } from "./errors.js";

/**
 * `attention`: the last backup failed, the host is offline or never connected, or it has never
 * backed up; `active`: every host but revoked ones. The other four are what the SPA shows for a
 * host (`pending`: enrolled, its agent has not connected yet).
 */
export const HOST_LIST_STATUSES = ["attention", "active", "online", "offline", "pending", "revoked"] as const;
export type HostListStatus = (typeof HOST_LIST_STATUSES)[number];

/** `attention`: failed last backup, then offline, never connected, never backed up; then by name. */
export const HOST_LIST_SORTS = ["name", "attention"] as const;
export type HostListSort = (typeof HOST_LIST_SORTS)[number];

export const HOST_LIST_DEFAULT_LIMIT = 50;
export const HOST_LIST_MAX_LIMIT = 200;
/** Searches longer than this are refused by the API; the service cuts them. */
export const HOST_SEARCH_MAX_LENGTH = 200;

export interface HostListQuery {
  /** Substring of the name, the hostname the agent reported, or a tag; ASCII case-insensitive. */
  search?: string | undefined;
  status?: HostListStatus | undefined;
  sort?: HostListSort | undefined;
  limit?: number | undefined;
  /** nextCursor or prevCursor of an earlier page with the same sort; absent for the first page. */
  cursor?: string | null | undefined;
}

export { HOST_ATTENTION_REASONS, type HostAttention };

/** What every view of a host shows: a list row, and with more columns the host page (hosts.ts). */
export const HOST_SUMMARY_COLUMNS = {
  id: hosts.id,
  name: hosts.name,
  status: hosts.status,
  tags: hosts.tags,
  os: hosts.os,
  arch: hosts.arch,
  reportedHostname: hosts.reportedHostname,
  agentVersion: hosts.agentVersion,
  resticVersion: hosts.resticVersion,
  resticError: hosts.resticError,
  lastSeenAt: hosts.lastSeenAt,
  lastBackupAt: hosts.lastBackupAt,
  lastBackupStatus: hosts.lastBackupStatus,
  snapshotCount: hosts.snapshotCount,
  repoSizeBytes: hosts.repoSizeBytes,
  repoLockError: hosts.repoLockError,
};

/** What a list row carries: what the Hosts page and the dashboard show, not the whole host. */
const HOST_LIST_COLUMNS = { ...HOST_SUMMARY_COLUMNS, attentionRank: hosts.attentionRank };

interface Position {
  sort: HostListSort;
  /** after: the page starts behind this row; before: the page ends in front of it. */
  direction: "after" | "before";
  rank: number;
  name: string;
  id: string;
}

const BAD_CURSOR =
  "This page of the host list is out of date (the cursor is not one the console gave out for this order). Go back to the first page.";

function encodeCursor(p: Position): string {
  const key = p.sort === "attention" ? [p.rank, p.name, p.id] : [p.name, p.id];
  return Buffer.from(JSON.stringify([p.sort, p.direction === "after" ? "a" : "b", ...key])).toString("base64url");
}

function decodeCursor(cursor: string, sort: HostListSort): Position {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new DomainError("BAD_REQUEST", BAD_CURSOR);
  }
  if (!Array.isArray(parsed) || parsed[0] !== sort || (parsed[1] !== "a" && parsed[1] !== "b")) {
    throw new DomainError("BAD_REQUEST", BAD_CURSOR);
  }
  const direction = parsed[1] === "a" ? "after" : "before";
  const [rank, name, id] = sort === "attention" ? parsed.slice(2) : [0, ...parsed.slice(2)];
  if (
    parsed.length !== (sort === "attention" ? 5 : 4) ||
    !Number.isInteger(rank) ||
    typeof name !== "string" ||
    typeof id !== "string"
  ) {
    throw new DomainError("BAD_REQUEST", BAD_CURSOR);
  }
  return { sort, direction, rank, name, id };
}

/** The API refuses a bad limit; a direct caller gets it clamped to 1…200 (50 when not a number). */
const pageLimit = (limit: number | undefined) =>
  Number.isFinite(limit)
    ? Math.min(Math.max(Math.trunc(limit as number), 1), HOST_LIST_MAX_LIMIT)
    : HOST_LIST_DEFAULT_LIMIT;

/** `%` and `_` in what the operator typed are literal characters, not wildcards. */
const likePattern = (search: string) => `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function searchCondition(search: string): SQL {
  const pattern = likePattern(search);
  const matches = [
    sql`${hosts.name} LIKE ${pattern} ESCAPE '\\'`,
    sql`${hosts.reportedHostname} LIKE ${pattern} ESCAPE '\\'`,
  ];
  // Tags are matched in their stored JSON text (["prod","web"]): one LIKE, no json_each per
  // row. A search holding JSON punctuation could match across tags or quotes, so it skips tags.
  if (!/["\\[\],]/.test(search)) matches.push(sql`${hosts.tags} LIKE ${pattern} ESCAPE '\\'`);
  return sql`(${sql.join(matches, sql` OR `)})`;
}

function statusCondition(status: HostListStatus, sort: HostListSort): SQL {
  switch (status) {
    case "attention":
      return sql`${hosts.attentionRank} < ${HOST_ATTENTION.healthy}`;
    case "active":
      // The same hosts either way; said in the columns of the sort's index, so that the page
      // and its count each stay inside one index.
      return sort === "attention"
        ? sql`${hosts.attentionRank} < ${HOST_ATTENTION.revoked}`
        : sql`${hosts.status} <> 'revoked'`;
    case "online":
      return eq(hosts.status, "online");
    case "revoked":
      return eq(hosts.status, "revoked");
    case "offline":
      // Offline after having connected; a host whose agent never connected is pending.
      return and(eq(hosts.status, "offline"), isNotNull(hosts.lastSeenAt)) as SQL;
    case "pending":
      return eq(hosts.attentionRank, HOST_ATTENTION.neverConnected);
  }
}

/** The row-value comparison that starts (or ends) a page at a cursor, in the sort's index order. */
function keysetCondition(p: Position): SQL {
  const op = p.direction === "after" ? sql.raw(">") : sql.raw("<");
  return p.sort === "attention"
    ? sql`(${hosts.attentionRank}, ${hosts.name}, ${hosts.id}) ${op} (${p.rank}, ${p.name}, ${p.id})`
    : sql`(${hosts.name}, ${hosts.id}) ${op} (${p.name}, ${p.id})`;
}

function orderOf(sort: HostListSort, direction: "after" | "before") {
  const dir = direction === "after" ? asc : desc;
  const columns = sort === "attention" ? [hosts.attentionRank, hosts.name, hosts.id] : [hosts.name, hosts.id];
  return columns.map((c) => dir(c));
}

export interface HostListPage<Row> {
  items: Row[];
  /** Hosts matching the search and filter, on every page. */
  total: number;
  /** How many matching hosts come before the first item ("Showing offset+1–…"). */
  offset: number;
  nextCursor: string | null;
  prevCursor: string | null;
}

export async function listHosts(db: Database, query: HostListQuery = {}) {
  const sort = query.sort ?? "name";
  const limit = pageLimit(query.limit);
  const search = query.search?.trim().slice(0, HOST_SEARCH_MAX_LENGTH) ?? "";
  const at = query.cursor ? decodeCursor(query.cursor, sort) : null;
  const direction = at?.direction ?? "after";

  const filters: SQL[] = [];
  if (search) filters.push(searchCondition(search));
  if (query.status) filters.push(statusCondition(query.status, sort));
  const rows = await db
    .select(HOST_LIST_COLUMNS)
    .from(hosts)
    .where(and(...filters, ...(at ? [keysetCondition(at)] : [])))
    .orderBy(...orderOf(sort, direction))
    .limit(limit + 1);

  const more = rows.length > limit;
  if (more) rows.pop();
  if (direction === "before") {
    // Walking back reached the start with room to spare: show a full first page instead.
    if (!more) return listHosts(db, { ...query, cursor: null });
    rows.reverse();
  }
  const first = rows[0];
  const last = rows.at(-1);

  let total = rows.length;
  let offset = 0;
  if (at || more) {
    const before = at && first ? keysetCondition({ ...positionOf(first, sort), direction: "before" }) : null;
    const [counted] = await db
      .select({
        total: sql<number>`count(*)`,
        before: before ? sql<number>`coalesce(sum(${before}), 0)` : sql<number>`0`,
      })
      .from(hosts)
      .where(and(...filters));
    total = counted?.total ?? 0;
    offset = counted?.before ?? 0;
  }
  // Behind a page walked back to there is always the row it was walked back from.
  const hasAfter = direction === "before" || more;
  const hasBefore = direction === "before" || offset > 0;

  const covering = await coveringSchedules(
    db,
    rows.map((r) => r.id),
  );
  const items = rows.map(({ attentionRank, ...row }) => ({
    ...row,
    attention: HOST_ATTENTION_REASONS[attentionRank ?? HOST_ATTENTION.healthy] ?? "healthy",
    coveringScheduleId: covering.get(row.id) ?? null,
  }));
  return {
    items,
    total,
    offset,
    nextCursor: last && hasAfter ? encodeCursor({ ...positionOf(last, sort), direction: "after" }) : null,
    prevCursor: first && hasBefore ? encodeCursor({ ...positionOf(first, sort), direction: "before" }) : null,
  } satisfies HostListPage<(typeof items)[number]>;
}

function positionOf(row: { attentionRank: number | null; name: string; id: string }, sort: HostListSort) {
  return { sort, rank: row.attentionRank ?? 0, name: row.name, id: row.id };
}

/**
 * For the page's hosts only: the one enabled schedule that backs up all of a host's groups, when
 * there is exactly one (the dashboard's "Run all groups"). Indexed lookups per listed host.
 */
async function coveringSchedules(db: Database, hostIds: string[]): Promise<Map<string, string>> {
  if (hostIds.length === 0) return new Map();
  const rows = await db
    .select({
      hostId: schedules.hostId,
      scheduleId: sql<string | null>`CASE WHEN count(*) = 1 THEN max(${schedules.id}) END`,
    })
    .from(schedules)
    .where(
      and(
        inArray(schedules.hostId, hostIds),
        eq(schedules.enabled, true),
        sql`(SELECT count(*) FROM ${scheduleSourceGroups} WHERE ${scheduleSourceGroups.scheduleId} = ${schedules.id})
          = (SELECT count(*) FROM ${sourceGroups} WHERE ${sourceGroups.hostId} = ${schedules.hostId})`,
      ),
    )
    .groupBy(schedules.hostId);
  return new Map(rows.flatMap((r) => (r.scheduleId ? [[r.hostId, r.scheduleId] as const] : [])));
}

/** A picker's options: id and name, by name, at most `limit`. */
export async function hostOptions(db: Database, query: { search?: string | undefined; limit?: number | undefined }) {
  const limit = pageLimit(query.limit);
  const search = query.search?.trim().slice(0, HOST_SEARCH_MAX_LENGTH) ?? "";
  const rows = await db
    .select({ id: hosts.id, name: hosts.name })
    .from(hosts)
    .where(search ? searchCondition(search) : undefined)
    .orderBy(asc(hosts.name), asc(hosts.id))
    .limit(limit + 1);
  const hasMore = rows.length > limit;
  if (hasMore) rows.pop();
  return { items: rows, hasMore };
}
