import { createAgentMessage } from "@restic-manager/protocol";
import type { AgentContext, ServerHandler } from "../context.js";

/** Methods the server may call with `rpc.request`; each answers with a JSON-serialisable result. */
export const rpcMethods: Record<string, (params: unknown, ctx: AgentContext) => Promise<unknown> | unknown> = {
  /** Round trip check: answers the agent's clock and version. */
  "agent.ping": (_params, ctx) => ({ at: Date.now(), agentVersion: ctx.agentVersion }),
  /** The server could not store the last snapshot listing or repository stats: send them again. */
  "reports.resend": (_params, ctx) => ({ resent: ctx.outbox.resendReports() }),
};

export const handleRpcRequest: ServerHandler<"rpc.request"> = async ({ id, method, params }, ctx) => {
  const impl = Object.hasOwn(rpcMethods, method) ? rpcMethods[method] : undefined;
  if (!impl) {
    ctx.send(
      createAgentMessage("rpc.response", {
        id,
        ok: false,
        error: { code: "unknown_method", message: `agent ${ctx.agentVersion} has no method "${method}"` },
      }),
    );
    return;
  }
  try {
    const result = await impl(params, ctx);
    ctx.send(createAgentMessage("rpc.response", { id, ok: true, result: result ?? null }));
  } catch (error) {
    ctx.send(
      createAgentMessage("rpc.response", {
        id,
        ok: false,
        error: { code: "internal", message: (error as Error).message.slice(0, 4096) },
      }),
    );
  }
};

/** The agent issues no rpc requests yet, so any response is stale. */
export const handleRpcResponse: ServerHandler<"rpc.response"> = ({ id }, ctx) => {
  ctx.log.debug(`ignored rpc.response ${id}: no request pending`);
};
