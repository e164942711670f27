import type { AgentWireMessage, ResticInfo, ServerMessage, ServerMessageType } from "@restic-manager/protocol";
import type { AgentConfig } from "./config.js";
import type { Outbox } from "./jobs/outbox.js";
import type { Logger } from "./log.js";
import type { ProcessRegistry } from "./restic/processes.js";
import type { Scheduler } from "./scheduler.js";
import type { SecretsStore } from "./secrets.js";

/** What a handler may touch. Handlers never see the socket, only `send` and the outbox. */
export interface AgentContext {
  config: AgentConfig;
  secrets: SecretsStore;
  log: Logger;
  agentVersion: string;
  /** Latest restic probe (refreshed on every connect). */
  restic: () => ResticInfo;
  /** Sends a non-job message now; false when no session is up (the message is dropped). */
  send: (wire: AgentWireMessage) => boolean;
  /** Job events (seq, spool, replay, acks) and the post-job reports go through here. */
  outbox: Outbox;
  /** restic processes this agent started, recorded for cleanup after a crash. */
  processes: ProcessRegistry;
  /** The agent's state directory (restic cache, process record); the spool dir lives in it by default. */
  stateDir: string;
  /** Jobs running now, by job id. */
  runningJobs: Map<string, { kind: string; cancel: () => void }>;
  /** The armed backup schedules (schedule.set); a fire only asks the server to run them. */
  scheduler: Scheduler;
}

export type ServerPayloadOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>["payload"];
export type ServerHandler<T extends ServerMessageType> = (
  payload: ServerPayloadOf<T>,
  ctx: AgentContext,
) => void | Promise<void>;
