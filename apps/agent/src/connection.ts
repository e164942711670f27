import type { Socket } from "node:net";
import {
  AGENT_SUBPROTOCOL,
  AGENT_WS_PATH,
  type AgentPayload,
  type AgentWireMessage,
  CLOSE_CODES,
  createAgentMessage,
  type ErrorBody,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
  type ServerPayload,
} from "@restic-manager/protocol";
import WebSocket from "ws";
import { Backoff } from "./backoff.js";
import { type Logger, silentLogger } from "./log.js";
import { openSocket } from "./transport.js";

/** Exit codes main.ts uses; the systemd unit lists the fatal ones in RestartPreventExitStatus. */
export const EXIT_CODES = { OK: 0, ERROR: 1, USAGE: 2, REJECTED: 3, PROTOCOL_TOO_OLD: 4 } as const;

export type SessionInfo = ServerPayload<"hello.ok">;

/** Server messages the connection hands on; `hello.ok` and `error` are session business. */
export type DispatchedServerMessage = Exclude<ServerMessage, { type: "hello.ok" | "error" }>;

export interface ConnectionOptions {
  serverUrl: string;
  agentToken: string;
  tlsPinSha256?: string | null;
  /** Builds `hello`; called on every connect, so a restic installed meanwhile shows up. */
  hello: () => Promise<AgentPayload<"hello">>;
  onMessage: (message: DispatchedServerMessage) => void | Promise<void>;
  /**
   * Called synchronously on `hello.ok`, before any later server message is handled. When it
   * returns a promise (the outbox replaying unacknowledged job events), heartbeats wait for it;
   * the first heartbeat then goes out at once, so it always follows the replayed events.
   */
  onSession?: (session: SessionInfo) => void | Promise<void>;
  /** Called when a session that reached `hello.ok` ends. */
  onSessionEnd?: () => void;
  runningJobIds?: () => string[];
  /** Jobs that ended but whose events the server has not acknowledged yet. */
  heldJobIds?: () => string[];
  log?: Logger;
  backoff?: Backoff;
  /** A session that lasted this long resets the backoff. */
  stableAfterMs?: number;
  /** How long to wait for `hello.ok` after sending `hello`. */
  helloOkTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export type RunOutcome =
  | { kind: "stopped" }
  | { kind: "fatal"; exitCode: number; closeCode: number | null; message: string };

type SessionEnd =
  | { kind: "closed"; code: number; reason: string; serverError: ErrorBody | null; uptimeMs: number }
  | { kind: "http"; status: number; body: string }
  | { kind: "failed"; error: Error; uptimeMs: number };

/** `https://host/prefix` -> `wss://host/prefix/ws/agent`. */
export function agentSocketUrl(serverUrl: string): URL {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${AGENT_WS_PATH}`;
  url.search = "";
  url.hash = "";
  return url;
}

/**
 * The agent's one WebSocket to the server: connect (TLS pin checked before the bearer is sent),
 * say hello, heartbeat, hand server messages on, and reconnect with backoff until stopped or
 * told to stop for good (revoked, protocol too old, token refused).
 */
export class AgentConnection {
  readonly #options: ConnectionOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #ws: WebSocket | null = null;
  #session: SessionInfo | null = null;
  #stopping = false;
  #wake: (() => void) | null = null;
  #sessions = 0;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#backoff = options.backoff ?? new Backoff();
  }

  /** Number of sessions that reached `hello.ok` so far. */
  get sessions(): number {
    return this.#sessions;
  }

  get session(): SessionInfo | null {
    return this.#session;
  }

  /** Bytes queued on the socket and not yet written (0 without a socket). */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Sends when a session is up; returns false (and drops the message) otherwise. */
  send(wire: AgentWireMessage): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !this.#session) return false;
    ws.send(wire, (err) => {
      if (err) this.#log.warn("send failed", { error: err.message });
    });
    return true;
  }

  async run(): Promise<RunOutcome> {
    const target = agentSocketUrl(this.#options.serverUrl);
    while (!this.#stopping) {
      const end = await this.#connectOnce(target);
      if (this.#stopping) break;

      const fatal = this.#fatalOutcome(end);
      if (fatal) {
        this.#log.error(fatal.message);
        return fatal;
      }
      const replaced = end.kind === "closed" && end.code === CLOSE_CODES.REPLACED;
      const uptime = end.kind === "http" ? 0 : end.uptimeMs;
      // A replaced socket means another process holds this host's token: never reset, keep backing off.
      if (!replaced && uptime >= (this.#options.stableAfterMs ?? 30_000)) this.#backoff.reset();
      const delay = this.#backoff.next();
      this.#log.warn(`${describeEnd(end)}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await this.#sleep(delay);
    }
    return { kind: "stopped" };
  }

  /** Closes the socket cleanly (1000) and makes `run` resolve with `stopped`. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 3_000);
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(CLOSE_CODES.NORMAL, "agent stopping");
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #fatalOutcome(end: SessionEnd): Extract<RunOutcome, { kind: "fatal" }> | null {
    if (end.kind === "http" && (end.status === 401 || end.status === 403)) {
      return {
        kind: "fatal",
        exitCode: EXIT_CODES.REJECTED,
        closeCode: null,
        message: `The server refused this agent's token (HTTP ${end.status}): the host was revoked or deleted, or the config holds a wrong agentToken. The agent stops. To bring the host back, create a new enrolment token under Hosts -> Add host and run: restic-manager-agent enroll --force --server URL --token TOKEN`,
      };
    }
    if (end.kind !== "closed") return null;
    if (end.code === CLOSE_CODES.REVOKED) {
      return {
        kind: "fatal",
        exitCode: EXIT_CODES.REJECTED,
        closeCode: end.code,
        message: `${end.serverError?.message ?? end.reason ?? "This host was revoked on the server."} (close code 4003). The agent stops and will not reconnect. To bring the host back, enrol it again with a new token.`,
      };
    }
    if (end.code === CLOSE_CODES.PROTOCOL_TOO_OLD) {
      return {
        kind: "fatal",
        exitCode: EXIT_CODES.PROTOCOL_TOO_OLD,
        closeCode: end.code,
        message: `${end.serverError?.message ?? (end.reason || `The server no longer accepts protocol ${PROTOCOL_VERSION}, which this agent speaks.`)} (close code 4001). Upgrade the agent: re-run the install command shown on the server.`,
      };
    }
    return null;
  }

  async #connectOnce(target: URL): Promise<SessionEnd> {
    const started = Date.now();
    const log = this.#log;
    let socket: Socket;
    try {
      log.info(`connecting to ${target.href}`);
      socket = await openSocket(target, {
        tlsPinSha256: this.#options.tlsPinSha256 ?? null,
        timeoutMs: this.#options.connectTimeoutMs,
      });
    } catch (error) {
      return { kind: "failed", error: error as Error, uptimeMs: 0 };
    }
    if (this.#stopping) {
      socket.destroy();
      return { kind: "failed", error: new Error("stopping"), uptimeMs: 0 };
    }

    return new Promise<SessionEnd>((resolve) => {
      let serverError: ErrorBody | null = null;
      let lastInboundAt = Date.now();
      let heartbeat: NodeJS.Timeout | null = null;
      let helloOkTimer: NodeJS.Timeout | null = null;
      let ended = false;

      const ws = new WebSocket(target.href, [AGENT_SUBPROTOCOL], {
        headers: { Authorization: `Bearer ${this.#options.agentToken}` },
        // The socket is already connected and, when pinned, verified.
        createConnection: (() => socket) as never,
        maxPayload: MAX_FRAME_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: this.#options.connectTimeoutMs ?? 15_000,
      });
      this.#ws = ws;

      const finish = (end: SessionEnd) => {
        if (ended) return;
        ended = true;
        if (heartbeat) clearInterval(heartbeat);
        if (helloOkTimer) clearTimeout(helloOkTimer);
        const hadSession = this.#session !== null;
        this.#session = null;
        if (this.#ws === ws) this.#ws = null;
        if (hadSession) {
          try {
            this.#options.onSessionEnd?.();
          } catch (error) {
            log.error(`session end handler failed: ${(error as Error).message}`);
          }
        }
        if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
        resolve(end);
      };
      const uptime = () => Date.now() - started;

      ws.on("unexpected-response", (req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          if (body.length < 500) body += chunk;
        });
        const done = () => {
          req.destroy();
          finish({ kind: "http", status: res.statusCode ?? 0, body: body.slice(0, 500) });
        };
        res.on("end", done);
        res.on("error", done);
        setTimeout(done, 2_000).unref();
      });
      ws.on("error", (error) => finish({ kind: "failed", error, uptimeMs: uptime() }));
      ws.on("close", (code, reason) =>
        finish({ kind: "closed", code, reason: reason.toString("utf8"), serverError, uptimeMs: uptime() }),
      );
      ws.on("pong", () => {
        lastInboundAt = Date.now();
      });

      ws.on("open", async () => {
        if (ws.protocol !== AGENT_SUBPROTOCOL) {
          log.error(`the server did not accept subprotocol ${AGENT_SUBPROTOCOL} (got "${ws.protocol}")`);
          ws.close(CLOSE_CODES.POLICY, "subprotocol required");
          return;
        }
        try {
          const hello = await this.#options.hello();
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(createAgentMessage("hello", hello));
        } catch (error) {
          log.error(`cannot build hello: ${(error as Error).message}`);
          ws.close(CLOSE_CODES.NORMAL, "agent error");
          return;
        }
        const waitMs = this.#options.helloOkTimeoutMs ?? 30_000;
        helloOkTimer = setTimeout(() => {
          log.warn(`no hello.ok within ${waitMs / 1000} s`);
          finish({ kind: "failed", error: new Error("no hello.ok from the server"), uptimeMs: uptime() });
        }, waitMs);
      });

      ws.on("message", (data, isBinary) => {
        lastInboundAt = Date.now();
        const parsed = parseServerMessage(isBinary ? (data as Buffer) : (data as Buffer).toString("utf8"));
        if (!parsed.ok) {
          log.warn(`ignored a bad frame from the server: ${parsed.reason}: ${parsed.detail}`);
          this.send(createAgentMessage("error", { code: parsed.reason, message: parsed.detail.slice(0, 4096) }));
          return;
        }
        const message = parsed.message;
        if (message.type === "error") {
          serverError = message.payload;
          log.warn(`server error ${message.payload.code}: ${message.payload.message}`);
          return;
        }
        if (message.type === "hello.ok") {
          if (helloOkTimer) clearTimeout(helloOkTimer);
          helloOkTimer = null;
          this.#session = message.payload;
          this.#sessions++;
          log.info(
            `connected as host ${message.payload.hostId} (server ${message.payload.serverVersion}, protocol ${message.payload.protocolVersion})`,
          );
          const intervalMs = message.payload.heartbeatIntervalSeconds * 1000;
          let ready = false;
          const beat = () => {
            if (ended || ws.readyState !== WebSocket.OPEN) return;
            const held = this.#options.heldJobIds?.() ?? [];
            this.send(
              createAgentMessage("heartbeat", {
                at: Date.now(),
                runningJobIds: this.#options.runningJobIds?.() ?? [],
                ...(held.length > 0 ? { heldJobIds: held.slice(0, 1024) } : {}),
              }),
            );
            // A pong (or any frame) proves the server is alive; see the silence check below.
            ws.ping();
          };
          let onSession: unknown;
          try {
            onSession = this.#options.onSession?.(message.payload);
          } catch (error) {
            log.error(`session start handler failed: ${(error as Error).message}`);
          }
          Promise.resolve(onSession)
            .catch((error: Error) => log.error(`session start handler failed: ${error.message}`))
            .then(() => {
              ready = true;
              beat();
            });
          if (heartbeat) clearInterval(heartbeat);
          heartbeat = setInterval(() => {
            if (Date.now() - lastInboundAt > intervalMs * 3) {
              log.warn(`the server has been silent for ${Math.round((Date.now() - lastInboundAt) / 1000)} s`);
              finish({ kind: "failed", error: new Error("server silent"), uptimeMs: uptime() });
              return;
            }
            // Until the replay of unacknowledged job events is through, a heartbeat could make
            // the server mark a finished-but-unreplayed job interrupted; the replay's own frames
            // keep the socket alive meanwhile.
            if (ready) beat();
            else if (ws.readyState === WebSocket.OPEN) ws.ping();
          }, intervalMs);
          return;
        }
        if (!this.#session) {
          log.warn(`ignored ${message.type} before hello.ok`);
          return;
        }
        Promise.resolve()
          .then(() => this.#options.onMessage(message))
          .catch((error: Error) => {
            log.error(`handling ${message.type} failed: ${error.message}`);
            this.send(createAgentMessage("error", { code: "internal", message: error.message.slice(0, 4096) }));
          });
      });
    });
  }
}

function describeEnd(end: SessionEnd): string {
  switch (end.kind) {
    case "http":
      return `the server answered the upgrade with HTTP ${end.status}${end.body ? `: ${end.body.slice(0, 200)}` : ""}`;
    case "failed":
      return end.error.message;
    case "closed": {
      const names: Record<number, string> = {
        [CLOSE_CODES.REPLACED]: "replaced by a newer connection for this host (another agent using the same token?)",
        [CLOSE_CODES.HELLO_TIMEOUT]: "closed by the server for silence",
        [CLOSE_CODES.NORMAL]: "closed by the server",
        1006: "connection lost",
      };
      const why = names[end.code] ?? "closed";
      return `${why} (code ${end.code}${end.reason ? `, ${end.reason}` : ""})`;
    }
  }
}
