/**
 * How core reaches agents without knowing about sockets: the gateway registers each host's
 * connection here once its hello is done and removes it when the socket closes; services are
 * given this registry when they are built and send through it.
 */
import type { ServerMessageType, ServerPayload } from "@restic-manager/protocol";

/** What the services need: is a host's agent connected, and send it a message. */
export interface AgentLink {
  isConnected(hostId: string): boolean;
  /** Sends to a connected host; false when it is not connected. */
  send<T extends ServerMessageType>(hostId: string, type: T, payload: ServerPayload<T>): boolean;
}

/** One host's live connection, as the gateway hands it over. */
export interface AgentChannel {
  send<T extends ServerMessageType>(type: T, payload: ServerPayload<T>): boolean;
}

export class AgentRegistry implements AgentLink {
  readonly #channels = new Map<string, AgentChannel>();

  /** The host's agent is connected and past hello; replaces an older channel of the host. */
  register(hostId: string, channel: AgentChannel): void {
    this.#channels.set(hostId, channel);
  }

  /** Removes the host's channel if it is still `channel` (a newer connection may have replaced it). */
  unregister(hostId: string, channel: AgentChannel): void {
    if (this.#channels.get(hostId) === channel) this.#channels.delete(hostId);
  }

  isConnected(hostId: string): boolean {
    return this.#channels.has(hostId);
  }

  send<T extends ServerMessageType>(hostId: string, type: T, payload: ServerPayload<T>): boolean {
    return this.#channels.get(hostId)?.send(type, payload) ?? false;
  }

  get size(): number {
    return this.#channels.size;
  }
}
