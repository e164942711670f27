import type { DispatchedServerMessage } from "../connection.js";
import type { AgentContext, ServerHandler } from "../context.js";
import { handleCommandCancel } from "./command-cancel.js";
import { handleCommandRun } from "./command-run.js";
import { handleConfigUpdate } from "./config-update.js";
import { handleJobAck } from "./job-ack.js";
import { handleRpcRequest, handleRpcResponse } from "./rpc.js";
import { handleScheduleSet } from "./schedule-set.js";

type DispatchedType = DispatchedServerMessage["type"];

/**
 * Every server command and its handler. The mapped type makes a new server message type a
 * compile error here until it has a handler. (`hello.ok` and `error` belong to the connection.)
 */
export const serverHandlers: { [T in DispatchedType]: ServerHandler<T> } = {
  "config.update": handleConfigUpdate,
  "schedule.set": handleScheduleSet,
  "command.run": handleCommandRun,
  "command.cancel": handleCommandCancel,
  "job.ack": handleJobAck,
  "rpc.request": handleRpcRequest,
  "rpc.response": handleRpcResponse,
};

export function dispatchServerMessage(message: DispatchedServerMessage, ctx: AgentContext): void | Promise<void> {
  const handler = serverHandlers[message.type] as ServerHandler<DispatchedType>;
  return handler(message.payload as never, ctx);
}

export type { AgentContext } from "../context.js";
