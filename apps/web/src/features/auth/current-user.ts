import { useQuery } from "@tanstack/react-query";
import { useRouteContext } from "@tanstack/react-router";
import { useTRPC } from "../../lib/trpc";

export type Role = "admin" | "operator" | "viewer";

export const ROLE_LABELS: Record<Role, string> = { admin: "Admin", operator: "Operator", viewer: "Viewer" };

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` may do what `minimum` may; the server enforces the same order. */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  admin: "Everything an operator can do, plus managing users and reading the audit log.",
  operator: "Runs backups and restores and changes hosts, sources and schedules.",
  viewer: "Reads status, snapshots and logs; changes nothing.",
};

/**
 * The signed-in user. The layout's beforeLoad guarantees one; the live auth.status query
 * keeps the role current when an admin changes it.
 */
export function useCurrentUser() {
  const trpc = useTRPC();
  const fromContext = useRouteContext({ from: "/_app", select: (context) => context.user });
  const { data } = useQuery(trpc.auth.status.queryOptions());
  return data?.user ?? fromContext;
}
