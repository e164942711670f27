import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "../../lib/trpc";
import { useCurrentUser } from "../auth/current-user";

/**
 * Jobs record who asked as "user:<id>", "token:<id>" or "system". Names come from what this
 * browser already knows: the signed-in user, and for admins the user list.
 */
export function useActorLabel(): (actor: string) => string {
  const me = useCurrentUser();
  const trpc = useTRPC();
  const users = useQuery({ ...trpc.users.list.queryOptions(), enabled: me.role === "admin", staleTime: 60_000 });
  const list = users.data;
  return useCallback(
    (actor: string) => {
      const [kind, id] = actor.split(":", 2);
      if (kind === "system") return "System";
      if (kind === "schedule") return "Schedule";
      if (kind === "agent") return "Agent";
      if (kind === "user") {
        if (id === me.id) return me.username;
        return list?.find((user) => user.id === id)?.username ?? "Another user";
      }
      if (kind === "token") return "API token";
      return actor;
    },
    [me.id, me.username, list],
  );
}
