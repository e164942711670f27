import { useQuery } from "@tanstack/react-query";
import { useRouteContext } from "@tanstack/react-router";
import { useTRPC } from "../../lib/trpc";

export type Role = "admin" | "operator" | "viewer";

export const ROLE_LABELS: Record<Role, string> = { admin: "Admin", operator: "Operator", viewer: "Viewer" };

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
