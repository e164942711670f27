import type { Actor, AuthUser } from "@restic-manager/core";
import type { RequestContext } from "./trpc.js";

/** The audit actor for a signed-in request: the user, or the API token acting for them. */
export function actorOf(ctx: RequestContext & { user: AuthUser }): Actor {
  if (ctx.auth?.kind === "api_token") {
    return { kind: "token", id: ctx.auth.tokenId, name: `${ctx.user.username} (API token)`, ip: ctx.ip };
  }
  return { kind: "user", id: ctx.user.id, name: ctx.user.username, ip: ctx.ip };
}
