import { useQuery } from "@tanstack/react-query";
import { useCallback } from "react";
import { useTRPC } from "../../lib/trpc";
import { useCurrentUser } from "../auth/current-user";

/**
 * Jobs record who asked as "user:<id>", "token:<id>" or "system", with the name at the time
 * (`actorName`). Older rows without a name fall back to what this browser knows.
 */
export function useActorLabel(): (actor: string, actorName?: string | null) => string {
  const me = useCurrentUser();
  const trpc = useTRPC();
  const users = useQuery({ ...trpc.users.list.queryOptions(), enabled: me.role === "admin", staleTime: 60_000 });
  const list = users.data?.items;
  return useCallback(
    (actor: string, actorName?: string | null) => {
      const [kind, id] = actor.split(":", 2);
      if (actorName && kind !== "system") return actorName;
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
