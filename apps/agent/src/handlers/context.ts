import type { AgentWireMessage, ResticInfo, ServerMessage, ServerMessageType } from "@restic-manager/protocol";
import type { AgentConfig } from "../config.js";
import type { Logger } from "../log.js";
import type { SecretsStore } from "../secrets.js";

/** What a handler may touch. Handlers never see the socket, only `send`. */
export interface AgentContext {
  config: AgentConfig;
  secrets: SecretsStore;
  log: Logger;
  agentVersion: string;
  /** Latest restic probe (refreshed on every connect). */
  restic: () => ResticInfo;
  /** Queues a message for the server; false when no session is up (the message is dropped). */
  send: (wire: AgentWireMessage) => boolean;
  /** Jobs running now, by job id. */
  runningJobs: Map<string, { kind: string; cancel: () => void }>;
}

export type ServerPayloadOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>["payload"];
export type ServerHandler<T extends ServerMessageType> = (
  payload: ServerPayloadOf<T>,
  ctx: AgentContext,
) => void | Promise<void>;
