import type { inferInput, inferOutput } from "@trpc/tanstack-react-query";
import type { Trpc } from "../../lib/trpc";

/** The input is optional on the wire (every field has a default); here it is always given. */
// biome-ignore lint/suspicious/noConfusingVoidType: tRPC types an optional input as `void | T`
export type HostListInput = Exclude<inferInput<Trpc["hosts"]["list"]>, void | undefined>;
export type HostListPage = inferOutput<Trpc["hosts"]["list"]>;
export type HostListItem = HostListPage["items"][number];
export type HostListStatus = NonNullable<HostListInput["status"]>;
export type HostListSort = NonNullable<HostListInput["sort"]>;

/** The Hosts page's status filter, in the order its select lists them ("active" is the dashboard's). */
export const HOST_STATUS_FILTERS = [
  ["attention", "Needs attention"],
  ["online", "Online"],
  ["offline", "Offline"],
  ["pending", "Never connected"],
  ["revoked", "Revoked"],
] as const satisfies readonly (readonly [HostListStatus, string])[];

export const HOST_SORTS = [
  ["name", "Name"],
  ["attention", "Needs attention first"],
] as const satisfies readonly (readonly [HostListSort, string])[];

export const HOSTS_PAGE_SIZE = 50;

/** /hosts?q=&status=&sort=&cursor=: the search, filter, order and page, so a page has an address. */
export interface HostsSearch {
  q?: string;
  status?: HostListStatus;
  sort?: HostListSort;
  cursor?: string;
}

const pick = <T extends string>(options: readonly (readonly [T, string])[], value: unknown): T | undefined =>
  options.find(([option]) => option === value)?.[0];

export function parseHostsSearch(search: Record<string, unknown>): HostsSearch {
  const out: HostsSearch = {};
  // The router parses search values as JSON: a search for 42 or true arrives as a number or boolean.
  const q = typeof search.q === "number" || typeof search.q === "boolean" ? String(search.q) : search.q;
  if (typeof q === "string" && q.trim()) out.q = q.trim().slice(0, 200);
  const status = pick(HOST_STATUS_FILTERS, search.status);
  if (status) out.status = status;
  const sort = pick(HOST_SORTS, search.sort);
  if (sort && sort !== "name") out.sort = sort;
  if (typeof search.cursor === "string" && search.cursor.length <= 2048) out.cursor = search.cursor;
  return out;
}

/** The hosts.list input of the Hosts page; its loader prefetches the same key. */
export function hostsPageInput(search: HostsSearch): HostListInput {
  return {
    limit: HOSTS_PAGE_SIZE,
    ...(search.q ? { search: search.q } : {}),
    ...(search.status ? { status: search.status } : {}),
    ...(search.sort ? { sort: search.sort } : {}),
    ...(search.cursor ? { cursor: search.cursor } : {}),
  };
}

/** The dashboard's fleet table: enrolled hosts, the ones needing attention first. */
export const DASHBOARD_HOSTS_INPUT = {
  sort: "attention",
  status: "active",
  limit: HOSTS_PAGE_SIZE,
} as const satisfies HostListInput;

/** The host picker's hosts.options input before anything is typed; the Jobs loader prefetches it. */
export const HOST_PICKER_INPUT = { limit: 50 } as const;
