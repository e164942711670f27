import { randomUUID } from "node:crypto";
import type { ErrorBody } from "@restic-manager/protocol";

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "RpcError";
  }
}

interface Pending {
  hostId: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Correlates rpc.request frames sent to agents with their rpc.response, with a timeout each. */
export class RpcTable {
  readonly #pending = new Map<string, Pending>();

  open(hostId: string, timeoutMs: number): { id: string; result: Promise<unknown> } {
    const id = randomUUID();
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RpcError("timeout", `the agent did not answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.#pending.set(id, { hostId, resolve, reject, timer });
    });
    return { id, result };
  }

  settle(
    hostId: string,
    response: { id: string; ok: true; result: unknown } | { id: string; ok: false; error: ErrorBody },
  ) {
    const p = this.#pending.get(response.id);
    // A response for another host's request is ignored: agents cannot answer for each other.
    if (!p || p.hostId !== hostId) return false;
    this.#pending.delete(response.id);
    clearTimeout(p.timer);
    if (response.ok) p.resolve(response.result);
    else p.reject(new RpcError(response.error.code, response.error.message));
    return true;
  }

  /** Fails every request waiting on a host whose socket went away. */
  failHost(hostId: string, reason: string) {
    for (const [id, p] of this.#pending) {
      if (p.hostId !== hostId) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new RpcError("disconnected", reason));
    }
  }
}
