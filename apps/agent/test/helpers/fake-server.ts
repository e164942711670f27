/**
 * A stand-in for the restic-manager server, speaking the real protocol on 127.0.0.1: the agent
 * WebSocket (bearer checked before the upgrade, one subprotocol) and POST /api/agents/enroll.
 * Tests script its answers and wait for what the agent sent.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  AGENT_SUBPROTOCOL,
  AGENT_WS_PATH,
  type AgentMessage,
  createServerMessage,
  ENROLL_PATH,
  MAX_FRAME_BYTES,
  parseAgentMessage,
  type ServerMessageType,
  type ServerPayload,
} from "@restic-manager/protocol";
import { type WebSocket, WebSocketServer } from "ws";

export const tlsFixture = {
  key: readFileSync(join(import.meta.dirname, "..", "fixtures", "tls", "key.pem")),
  cert: readFileSync(join(import.meta.dirname, "..", "fixtures", "tls", "cert.pem")),
  /** SHA-256 of cert.pem's DER: `openssl x509 -in cert.pem -outform der | sha256sum`. */
  sha256: "f1747473c776edc3470b8a344602518a5fbc505319cace8aeac7503f2f92a6e4",
};

export interface AgentSession {
  ws: WebSocket;
  messages: AgentMessage[];
  closed: Promise<{ code: number; reason: string }>;
  send<T extends ServerMessageType>(type: T, payload: ServerPayload<T>): void;
}

export interface FakeServerOptions {
  tls?: boolean;
  /** Listen on this port (default: a free one). */
  port?: number;
  agentToken?: string;
  hostId?: string;
  heartbeatIntervalSeconds?: number;
  /** Runs when `hello` arrives; default answers hello.ok. */
  onHello?: (session: AgentSession, hello: Extract<AgentMessage, { type: "hello" }>) => void;
  /** Answers POST /api/agents/enroll; default 404. */
  onEnroll?: (body: unknown) => { status: number; body: unknown };
  /** Answers other GET requests (e.g. /agent/binary); null falls through to 404. */
  onGet?: (url: URL) => { status: number; body: string | Buffer } | null;
  /**
   * Acknowledge job events like the real server (`job.ack {jobId, seq}` for each one). A
   * function decides per event (false: no ack).
   */
  autoAck?: boolean | ((message: JobEventMessage, session: AgentSession) => boolean);
}

export type JobEventMessage = Extract<
  AgentMessage,
  { type: "job.started" | "job.progress" | "log.stream" | "job.finished" }
>;

export const isJobEvent = (m: AgentMessage): m is JobEventMessage =>
  m.type === "job.started" || m.type === "job.progress" || m.type === "log.stream" || m.type === "job.finished";

export interface FakeServer {
  url: string;
  port: number;
  /** Every HTTP request and upgrade the server saw (method, path, headers). */
  requests: { kind: "http" | "upgrade"; method: string; path: string; headers: IncomingMessage["headers"] }[];
  sessions: AgentSession[];
  enrollBodies: unknown[];
  /** Resolves with the first agent message of `type` (optionally in session `index`). */
  waitFor<T extends AgentMessage["type"]>(
    type: T,
    options?: { session?: number; timeoutMs?: number; after?: number },
  ): Promise<Extract<AgentMessage, { type: T }>>;
  waitForSessions(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `check` holds (re-checked on every agent message and connection). */
  waitUntil(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const agentToken = options.agentToken ?? "agent-token-for-tests";
  const requests: FakeServer["requests"] = [];
  const sessions: AgentSession[] = [];
  const enrollBodies: unknown[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ kind: "http", method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === ENROLL_PATH && options.onEnroll) {
        let body: unknown = null;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
          // leave null
        }
        enrollBodies.push(body);
        const answer = options.onEnroll(body);
        const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(text);
        return;
      }
      const answer = req.method === "GET" ? options.onGet?.(new URL(req.url ?? "/", "http://x")) : null;
      if (answer) {
        res.writeHead(answer.status, { "content-type": "application/octet-stream" });
        res.end(answer.body);
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "not_found", message: "not found" } }));
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: tlsFixture.key, cert: tlsFixture.cert }, onRequest)
    : createHttpServer(onRequest);

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(AGENT_SUBPROTOCOL) ? AGENT_SUBPROTOCOL : false),
  });

  server.on("upgrade", (req, socket, head) => {
    requests.push({ kind: "upgrade", method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    if (req.url !== AGENT_WS_PATH || req.headers.authorization !== `Bearer ${agentToken}`) {
      const body = JSON.stringify({ error: { code: "unauthorized", message: "unknown or revoked agent token" } });
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let resolveClosed!: (v: { code: number; reason: string }) => void;
      const session: AgentSession = {
        ws,
        messages: [],
        closed: new Promise((r) => {
          resolveClosed = r;
        }),
        send: (type, payload) => ws.send(createServerMessage(type, payload)),
      };
      sessions.push(session);
      ws.on("close", (code, reason) => resolveClosed({ code, reason: reason.toString() }));
      ws.on("message", (data) => {
        const parsed = parseAgentMessage(data as Buffer);
        if (!parsed.ok) throw new Error(`agent sent a bad frame: ${parsed.reason}: ${parsed.detail}`);
        session.messages.push(parsed.message);
        if (parsed.message.type === "hello") {
          if (options.onHello) options.onHello(session, parsed.message);
          else
            session.send("hello.ok", {
              hostId: options.hostId ?? "host-1",
              serverVersion: "9.9.9-test",
              protocolVersion: 1,
              heartbeatIntervalSeconds: options.heartbeatIntervalSeconds ?? 30,
            });
        }
        const message = parsed.message;
        if (options.autoAck && isJobEvent(message)) {
          const ack = typeof options.autoAck === "function" ? options.autoAck(message, session) : true;
          if (ack && ws.readyState === ws.OPEN) {
            session.send("job.ack", { jobId: message.payload.jobId, seq: message.payload.seq });
          }
        }
        notify();
      });
      notify();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const until = (check: () => boolean, what: string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const listener = () => {
        if (!check()) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
    });

  return {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    requests,
    sessions,
    enrollBodies,
    async waitFor(type, opts = {}) {
      type M = Extract<AgentMessage, { type: typeof type }>;
      let found: M | undefined;
      const after = opts.after ?? 0;
      await until(
        () => {
          const pool = opts.session === undefined ? sessions : sessions.slice(opts.session, opts.session + 1);
          const all = pool.flatMap((s) => s.messages).filter((m) => m.type === type);
          found = all[after] as M | undefined;
          return found !== undefined;
        },
        `${type} #${after + 1}`,
        opts.timeoutMs ?? 5_000,
      );
      return found as never;
    },
    waitForSessions: (count, timeoutMs = 5_000) =>
      until(() => sessions.length >= count, `${count} sessions`, timeoutMs),
    waitUntil: (check, what, timeoutMs = 5_000) => until(check, what, timeoutMs),
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
