/**
 * The agent gateway: one WebSocket per enrolled host at /ws/agent.
 *
 * The bearer is checked before the upgrade (401 otherwise); only the agent subprotocol is
 * accepted; a frame that is not valid protocol closes the socket with 1007/1008/1009 and a
 * reason; a socket that says nothing (no hello in time, or no heartbeat for three intervals)
 * is closed; a new socket for a host replaces the old one. Business rules live in core.
 *
 * A refused upgrade is answered and its socket destroyed at once (a client holding it open
 * must not hold one of the console's descriptors); one address may have at most
 * `maxPendingUpgradesPerAddress` upgrades being checked at a time; refusals and storage
 * failures are logged at most once per address (or kind) per interval, with a count.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type AgentChannel, AgentRegistry, type Core } from "@restic-manager/core";
import { describeStorageFailure, storageFailureOf } from "@restic-manager/db";
import {
  AGENT_SUBPROTOCOL,
  AGENT_WS_PATH,
  type AgentMessage,
  CLOSE_CODES,
  closeCodeFor,
  createServerMessage,
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  HELLO_TIMEOUT_MS,
  MAX_FRAME_BYTES,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  parseAgentMessage,
  type ServerMessageType,
  type ServerPayload,
} from "@restic-manager/protocol";
import type { Logger } from "pino";
import { WebSocket, WebSocketServer } from "ws";
import { LogThrottle } from "../log-throttle.js";
import { RpcError, RpcTable } from "./rpc.js";

export interface GatewayOptions {
  core: Core;
  logger: Logger;
  serverVersion: string;
  heartbeatIntervalSeconds?: number;
  helloTimeoutMs?: number;
  /** Upgrades from one address being authenticated at once; more are refused with 503. */
  maxPendingUpgradesPerAddress?: number;
  /** At most one refusal or storage-failure line per address or kind per interval. */
  logIntervalMs?: number;
}

export const DEFAULT_MAX_PENDING_UPGRADES_PER_ADDRESS = 256;

interface AgentConnection {
  hostId: string;
  /** Registered in the core's agent registry once hello is done. */
  channel: AgentChannel;
  hostName: string;
  socket: WebSocket;
  helloDone: boolean;
  lastFrameAt: number;
  remote: string;
  /** Messages of one socket are handled strictly in order (events before the heartbeat that follows them). */
  queue: Promise<void>;
}

export interface GatewayStats {
  connected: number;
  protocolErrors: number;
  /** Upgrades refused (bad token, wrong subprotocol, too many pending from one address). */
  refusedUpgrades: number;
}

export class AgentGateway {
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<string, AgentConnection>();
  readonly #rpc = new RpcTable();
  readonly #registry: AgentRegistry;
  readonly #log: Logger;
  readonly #heartbeatSeconds: number;
  readonly #helloTimeoutMs: number;
  readonly #unsubscribe: (() => void)[] = [];
  #silenceTimer: NodeJS.Timeout | undefined;
  #protocolErrors = 0;
  #refusedUpgrades = 0;
  /** Upgrades being authenticated, per remote address. */
  readonly #pendingUpgrades = new Map<string, number>();
  readonly #maxPendingPerAddress: number;
  readonly #refusalLog: LogThrottle;
  readonly #storageLog: LogThrottle;

  constructor(private readonly options: GatewayOptions) {
    this.#log = options.logger.child({ component: "gateway" });
    this.#heartbeatSeconds = options.heartbeatIntervalSeconds ?? DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    this.#maxPendingPerAddress = options.maxPendingUpgradesPerAddress ?? DEFAULT_MAX_PENDING_UPGRADES_PER_ADDRESS;
    const interval = options.logIntervalMs ?? 10_000;
    this.#refusalLog = new LogThrottle(interval, (remote, why, held) =>
      this.#log.warn({ remote, why, similarSinceLastLine: held }, "agent upgrade refused"),
    );
    this.#storageLog = new LogThrottle(interval, (kind, detail, held) =>
      this.#log.error(
        { storage: kind, detail, similarSinceLastLine: held },
        "could not store an agent message; it is not acknowledged and the agent sends it again",
      ),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(AGENT_SUBPROTOCOL) ? AGENT_SUBPROTOCOL : false),
    });
    if (!(options.core.agents instanceof AgentRegistry)) {
      throw new Error("the gateway fills the core's agent registry: build the core without an agents link");
    }
    this.#registry = options.core.agents;
    this.#unsubscribe.push(
      options.core.events.on("host.revoked", ({ hostId }) => this.#close(hostId, CLOSE_CODES.REVOKED, "host revoked")),
    );
  }

  attach(server: Server): void {
    server.on("upgrade", (req, socket, head) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== AGENT_WS_PATH) return; // not ours; fastify answers nothing for upgrades
      void this.#handleUpgrade(req, socket, head);
    });
    // Three missed heartbeats: the socket is dead even if TCP has not noticed.
    this.#silenceTimer = setInterval(() => this.#closeSilent(), 5_000);
    this.#silenceTimer.unref();
  }

  stats(): GatewayStats {
    return {
      connected: this.#connections.size,
      protocolErrors: this.#protocolErrors,
      refusedUpgrades: this.#refusedUpgrades,
    };
  }

  isConnected(hostId: string): boolean {
    return this.#registry.isConnected(hostId);
  }

  /** Sends a message to a connected host; false when it is not connected. */
  send<T extends ServerMessageType>(hostId: string, type: T, payload: ServerPayload<T>): boolean {
    return this.#registry.send(hostId, type, payload);
  }

  /** Request/response over the socket, e.g. tree browsing. Rejects with RpcError. */
  async rpc(hostId: string, method: string, params: unknown, timeoutMs = 30_000): Promise<unknown> {
    const { id, result } = this.#rpc.open(hostId, timeoutMs);
    if (!this.send(hostId, "rpc.request", { id, method, params: params as never })) {
      this.#rpc.settle(hostId, { id, ok: false, error: { code: "offline", message: "the agent is not connected" } });
    }
    return result;
  }

  async close(): Promise<void> {
    clearInterval(this.#silenceTimer);
    this.#refusalLog.close();
    this.#storageLog.close();
    for (const off of this.#unsubscribe) off();
    for (const conn of this.#connections.values()) conn.socket.close(1001, "server shutting down");
    this.#connections.clear();
    await new Promise<void>((r) => this.#wss.close(() => r()));
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const remote = req.socket.remoteAddress ?? "unknown";
    const pending = this.#pendingUpgrades.get(remote) ?? 0;
    if (pending >= this.#maxPendingPerAddress) {
      return this.#refuse(
        socket,
        remote,
        503,
        "too many agent connections from this address are being checked; retry later",
      );
    }
    this.#pendingUpgrades.set(remote, pending + 1);
    try {
      await this.#authenticateUpgrade(req, socket, head, remote);
    } finally {
      const left = (this.#pendingUpgrades.get(remote) ?? 1) - 1;
      if (left > 0) this.#pendingUpgrades.set(remote, left);
      else this.#pendingUpgrades.delete(remote);
    }
  }

  async #authenticateUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, remote: string): Promise<void> {
    const auth = req.headers.authorization;
    const bearer = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : "";
    let host: { id: string; name: string } | null = null;
    try {
      host = bearer ? await this.options.core.hosts.authenticateAgent(bearer) : null;
    } catch (e) {
      this.#log.error({ err: e }, "agent authentication failed");
      return this.#refuse(socket, remote, 503, "the console could not check the agent token; retry later");
    }
    if (socket.destroyed) return; // the client went away while its token was checked
    if (!host) {
      return this.#refuse(
        socket,
        remote,
        401,
        "agent token not accepted: the host was revoked or deleted, or this is not its token. Enrol again.",
      );
    }
    const protocols = String(req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim());
    if (!protocols.includes(AGENT_SUBPROTOCOL)) {
      return this.#refuse(socket, remote, 400, `expected WebSocket subprotocol ${AGENT_SUBPROTOCOL}`);
    }
    const found = host;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, found, remote));
  }

  #refuse(socket: Duplex, remote: string, status: 400 | 401 | 503, message: string): void {
    this.#refusedUpgrades++;
    this.#refusalLog.note(remote, `${status}: ${message}`);
    refuse(socket, status, message);
  }

  #accept(socket: WebSocket, host: { id: string; name: string }, remote: string): void {
    const previous = this.#connections.get(host.id);
    if (previous) {
      this.#log.info({ hostId: host.id }, "a new connection replaces the previous one");
      this.#connections.delete(host.id);
      // Not connected until the new socket's hello: nothing may be sent to the closing one.
      this.#registry.unregister(host.id, previous.channel);
      previous.socket.close(CLOSE_CODES.REPLACED, "replaced by a newer connection");
    }
    const conn: AgentConnection = {
      hostId: host.id,
      channel: {
        send: (type, payload) => {
          if (socket.readyState !== WebSocket.OPEN) return false;
          socket.send(createServerMessage(type, payload));
          return true;
        },
      },
      hostName: host.name,
      socket,
      helloDone: false,
      lastFrameAt: Date.now(),
      remote,
      queue: Promise.resolve(),
    };
    this.#connections.set(host.id, conn);
    const helloTimer = setTimeout(() => {
      if (!conn.helloDone) socket.close(CLOSE_CODES.HELLO_TIMEOUT, "no hello received in time");
    }, this.#helloTimeoutMs);

    socket.on("message", (data, isBinary) => {
      conn.lastFrameAt = Date.now();
      const parsed = parseAgentMessage(isBinary ? (data as Buffer) : data.toString());
      if (!parsed.ok) {
        this.#protocolError(conn, parsed.reason, parsed.detail);
        socket.close(closeCodeFor(parsed.reason), truncateReason(`${parsed.reason}: ${parsed.detail}`));
        return;
      }
      conn.queue = conn.queue
        .then(() => this.#dispatch(conn, parsed.message))
        .catch((e: unknown) => {
          const storage = storageFailureOf(e);
          if (storage) {
            this.#storageLog.note(storage.kind, describeStorageFailure(storage));
            return;
          }
          this.#log.error(
            { err: e, hostId: conn.hostId, type: parsed.message.type },
            "handling an agent message failed",
          );
        });
    });
    socket.on("error", (e) => {
      // ws reports oversized frames here before closing with 1009.
      this.#protocolError(conn, "socket_error", e.message);
    });
    socket.on("close", (code, reason) => {
      clearTimeout(helloTimer);
      this.#registry.unregister(conn.hostId, conn.channel);
      this.#rpc.failHost(conn.hostId, "the agent disconnected");
      if (this.#connections.get(conn.hostId) === conn) {
        this.#connections.delete(conn.hostId);
        void this.options.core.hosts.recordDisconnect(conn.hostId).catch((e: unknown) => {
          this.#log.error({ err: e, hostId: conn.hostId }, "could not record disconnect");
        });
      }
      this.#log.info({ hostId: conn.hostId, code, reason: reason.toString() }, "agent disconnected");
    });
  }

  async #dispatch(conn: AgentConnection, message: AgentMessage): Promise<void> {
    const { core } = this.options;
    if (!conn.helloDone && message.type !== "hello") {
      this.#protocolError(conn, "hello_first", `got ${message.type} before hello`);
      conn.socket.close(CLOSE_CODES.POLICY, "hello must be the first message");
      return;
    }
    switch (message.type) {
      case "hello": {
        const hello = message.payload;
        if (hello.protocolVersion < MIN_PROTOCOL_VERSION) {
          const text = `agent protocol ${hello.protocolVersion} is too old: this console needs ${MIN_PROTOCOL_VERSION} or newer. Upgrade the agent.`;
          conn.socket.send(createServerMessage("error", { code: "protocol_too_old", message: text }));
          conn.socket.close(CLOSE_CODES.PROTOCOL_TOO_OLD, "protocol too old");
          this.#log.warn({ hostId: conn.hostId, protocol: hello.protocolVersion }, "refused an old agent");
          return;
        }
        const held = await core.sessions.hello(conn.hostId, hello);
        conn.helloDone = true;
        conn.socket.send(
          createServerMessage("hello.ok", {
            hostId: conn.hostId,
            serverVersion: this.options.serverVersion,
            protocolVersion: PROTOCOL_VERSION,
            heartbeatIntervalSeconds: this.#heartbeatSeconds,
          }),
        );
        if (this.#connections.get(conn.hostId) === conn) this.#registry.register(conn.hostId, conn.channel);
        this.#log.info(
          { hostId: conn.hostId, agent: hello.agentVersion, restic: hello.restic.version, remote: conn.remote },
          "agent connected",
        );
        await core.sessions.connected(conn.hostId, held);
        return;
      }
      case "heartbeat":
        await core.sessions.heartbeat(conn.hostId, message.payload);
        return;
      case "job.started":
      case "job.progress":
      case "log.stream":
      case "job.finished": {
        const ack = await core.jobEvents.apply(conn.hostId, message);
        if (ack !== null) this.send(conn.hostId, "job.ack", { jobId: message.payload.jobId, seq: ack });
        return;
      }
      case "snapshots.report":
        await core.reports.applySnapshots(conn.hostId, message.payload);
        return;
      case "repo.stats":
        await core.reports.applyRepoStats(conn.hostId, message.payload);
        return;
      case "config.ack":
        if (message.payload.error) {
          this.#log.warn({ hostId: conn.hostId, error: message.payload.error }, "agent could not apply its config");
        } else {
          await core.hosts.recordConfigAck(conn.hostId, message.payload.version);
        }
        return;
      case "schedule.ack":
        if (message.payload.error) {
          this.#log.warn({ hostId: conn.hostId, error: message.payload.error }, "agent could not arm every schedule");
        }
        await core.schedules.recordAck(conn.hostId, message.payload.version, message.payload.error);
        return;
      case "schedule.fire": {
        const { scheduleId, slotAt } = message.payload;
        const jobIds = await core.schedules.fire(conn.hostId, scheduleId, slotAt);
        this.#log.info({ hostId: conn.hostId, scheduleId, slotAt, jobs: jobIds.length }, "schedule fired");
        return;
      }
      case "rpc.response":
        this.#rpc.settle(conn.hostId, message.payload);
        return;
      case "rpc.request":
        // No server-side methods are offered to agents yet.
        conn.socket.send(
          createServerMessage("rpc.response", {
            id: message.payload.id,
            ok: false,
            error: { code: "method_not_found", message: `unknown method ${message.payload.method}` },
          }),
        );
        return;
      case "error":
        this.#log.warn({ hostId: conn.hostId, ...message.payload }, "agent reported an error");
        return;
      default:
        this.#log.debug(
          { hostId: conn.hostId, type: (message as AgentMessage).type },
          "agent message not handled by this server",
        );
        return;
    }
  }

  #protocolError(conn: AgentConnection, reason: string, detail: string): void {
    this.#protocolErrors++;
    this.#log.warn(
      { hostId: conn.hostId, reason, detail: detail.slice(0, 200), protocolErrors: this.#protocolErrors },
      "agent protocol error",
    );
  }

  #close(hostId: string, code: number, reason: string): void {
    const conn = this.#connections.get(hostId);
    if (conn) conn.socket.close(code, reason);
  }

  #closeSilent(): void {
    const deadline = Date.now() - 3 * this.#heartbeatSeconds * 1000;
    for (const conn of this.#connections.values()) {
      if (conn.helloDone && conn.lastFrameAt < deadline) {
        conn.socket.close(CLOSE_CODES.HELLO_TIMEOUT, "no heartbeat for three intervals");
      }
    }
  }
}

const REFUSALS = {
  400: { text: "Bad Request", code: "bad_request" },
  401: { text: "Unauthorized", code: "unauthorized" },
  503: { text: "Service Unavailable", code: "unavailable" },
} as const;

/**
 * Answers a refused upgrade and closes the connection for good: `end()` alone leaves the
 * socket half-open (FIN-WAIT-2) until the client closes its side, holding a descriptor.
 */
function refuse(socket: Duplex, status: keyof typeof REFUSALS, message: string): void {
  const { text, code } = REFUSALS[status];
  const body = JSON.stringify({ error: { code, message } });
  const retry = status === 503 ? "Retry-After: 5\r\n" : "";
  socket.on("error", () => undefined); // a reset by the client while we answer is fine
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${retry}Connection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
  // A client that never reads would keep the answer unflushed: give it a second at most.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

/** Close reasons are limited to 123 bytes by the WebSocket spec. */
function truncateReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

export { RpcError };
