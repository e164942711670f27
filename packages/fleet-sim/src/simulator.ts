/**
 * N simulated agents speaking the real protocol (packages/protocol) against a real console:
 * hello, jittered heartbeats, reconnect with backoff (stopping on fatal close codes), command.run
 * (backup replays recorded restic output; init succeeds; other kinds fail politely),
 * command.cancel, cumulative job.ack with resend of unacked events after a reconnect, and the
 * `agent.ping` rpc. Sockets are spread over several 127.x source addresses so 10k connections do
 * not exhaust one address's ephemeral ports.
 */

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import {
  AGENT_SUBPROTOCOL,
  AGENT_WS_PATH,
  type AgentMessageType,
  type AgentPayload,
  type CommandRunPayload,
  DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
  FATAL_CLOSE_CODES,
  MAX_LOG_LINES_PER_FRAME,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
  type ServerPayload,
  type Snapshot,
} from "@restic-manager/protocol";
import WebSocket from "ws";
import { type BackupScript, loadBackupScript } from "./fixture.js";
import { SimMetrics } from "./metrics.js";

export interface SimIdentity {
  hostId: string;
  agentToken: string;
  hostname: string;
}

export interface BackupShape {
  /** Wall time of a simulated backup. */
  durationMs: number;
  /** Extra synthetic "file" lines besides the recorded ones (B4 raises this). */
  extraLines: number;
  /** Lines are flushed as one log.stream frame at most this often. */
  flushIntervalMs: number;
  progressIntervalMs: number;
}

export interface FleetSimulatorOptions {
  serverUrl: string;
  agents: SimIdentity[];
  /** Source addresses to spread sockets over; default: 127.0.0.2 .. 127.0.0.(1+k), k = max(4, ceil(N/20000)). */
  sourceAddresses?: string[];
  /** Socket opens in flight at once (initial connect and reconnect storms). */
  connectConcurrency?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** +/- fraction applied to every heartbeat interval. */
  heartbeatJitter?: number;
  backup?: Partial<BackupShape>;
  /** Recorded `restic backup --json` output to replay; default the 0.14 "big" fixture. */
  fixtureFile?: string;
  agentVersion?: string;
  /** IANA zone sent in hello (schedules fire in it); default "UTC". */
  timezone?: string;
}

export const DEFAULT_BACKUP: BackupShape = {
  durationMs: 3000,
  extraLines: 40,
  flushIntervalMs: 100,
  progressIntervalMs: 1000,
};

/** Loopback source addresses for N sockets (each address has ~28k ephemeral ports by default). */
export function defaultSourceAddresses(n: number): string[] {
  const k = Math.max(4, Math.ceil(n / 20_000));
  return Array.from({ length: k }, (_, i) => `127.0.0.${2 + i}`);
}

interface Pending {
  seq: number;
  frame: string;
  sentAt: number;
  /** Log lines the event carries (log.stream), 0 otherwise. */
  lines: number;
}

interface SimJob {
  jobId: string;
  kind: CommandRunPayload["kind"];
  seq: number;
  cancelled: boolean;
  timers: NodeJS.Timeout[];
  finish?: (status: "succeeded" | "cancelled") => void;
}

type Events = {
  /** Every hello.ok (first connect and reconnects). */
  session: [agent: SimAgent];
  command: [agent: SimAgent, payload: CommandRunPayload, receivedAt: number];
  /** job.started was sent for a command (`at`: epoch ms with sub-ms precision). */
  "job.started": [agent: SimAgent, jobId: string, at: number];
  "job.finished": [agent: SimAgent, jobId: string, status: string];
  fatal: [agent: SimAgent, code: number];
};

export class FleetSimulator extends EventEmitter<Events> {
  readonly metrics = new SimMetrics();
  readonly agents: SimAgent[];
  readonly script: BackupScript;
  readonly backup: BackupShape;
  readonly wsUrl: string;
  readonly backoff: { initialMs: number; maxMs: number };
  readonly heartbeatJitter: number;
  readonly agentVersion: string;
  readonly timezone: string;
  #slots: number;
  readonly #waiting: (() => void)[] = [];
  #stopped = false;

  constructor(readonly options: FleetSimulatorOptions) {
    super();
    this.setMaxListeners(0);
    const u = new URL(options.serverUrl);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    u.pathname = AGENT_WS_PATH;
    this.wsUrl = u.toString();
    this.script = loadBackupScript(options.fixtureFile);
    this.backup = { ...DEFAULT_BACKUP, ...options.backup };
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 8000 };
    this.heartbeatJitter = options.heartbeatJitter ?? 0.2;
    this.agentVersion = options.agentVersion ?? "0.1.0-sim";
    this.timezone = options.timezone ?? "UTC";
    this.#slots = options.connectConcurrency ?? 256;
    const addrs = options.sourceAddresses ?? defaultSourceAddresses(options.agents.length);
    this.agents = options.agents.map((id, i) => new SimAgent(this, id, addrs[i % addrs.length] ?? "127.0.0.1"));
  }

  get stopped() {
    return this.#stopped;
  }

  /** Opens every agent's socket (bounded by connectConcurrency); resolves once all have tried once. */
  async start(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.connect()));
  }

  /** Resolves when `count` agents (default all) are connected, or rejects after timeoutMs. */
  waitConnected(count = this.agents.length, timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    return new Promise((done, fail) => {
      const check = () => {
        if (this.metrics.connected >= count) {
          clearInterval(timer);
          done(Date.now() - started);
        } else if (Date.now() - started > timeoutMs) {
          clearInterval(timer);
          fail(new Error(`only ${this.metrics.connected}/${count} agents connected after ${timeoutMs} ms`));
        }
      };
      const timer = setInterval(check, 25);
      check();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const w of this.#waiting.splice(0)) w();
    await Promise.all(this.agents.map((a) => a.stop()));
  }

  agentByHostId(hostId: string): SimAgent | undefined {
    return this.agents.find((a) => a.identity.hostId === hostId);
  }

  /** @internal a connect slot: limits handshakes in flight. */
  async acquire(): Promise<void> {
    if (this.#slots > 0) {
      this.#slots--;
      return;
    }
    await new Promise<void>((r) => this.#waiting.push(r));
  }

  /** @internal */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#slots++;
  }
}

export class SimAgent {
  ws: WebSocket | null = null;
  online = false;
  /** Sessions (hello.ok) this agent has had. */
  sessions = 0;
  heartbeatSeconds = DEFAULT_HEARTBEAT_INTERVAL_SECONDS;
  readonly jobs = new Map<string, SimJob>();
  /** Unacked job events per job, in seq order (progress is never kept: it is not spooled). */
  readonly unacked = new Map<string, Pending[]>();
  readonly snapshots: Snapshot[] = [];
  /** The latest schedule set the server pushed (acknowledged, never fired). */
  scheduleSet: ServerPayload<"schedule.set"> | null = null;
  /** Version of the repository config the server last pushed (a real agent keeps it on disk). */
  configVersion: number | null = null;
  #stopped = false;
  #fatal = false;
  #attempt = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #everConnected = false;

  constructor(
    readonly sim: FleetSimulator,
    readonly identity: SimIdentity,
    readonly localAddress: string,
  ) {}

  get metrics() {
    return this.sim.metrics;
  }

  async connect(): Promise<void> {
    if (this.#stopped || this.#fatal) return;
    await this.sim.acquire();
    if (this.#stopped) {
      this.sim.release();
      return;
    }
    const openedAt = Date.now();
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.sim.release();
      }
    };
    await new Promise<void>((settled) => {
      const ws = new WebSocket(this.sim.wsUrl, AGENT_SUBPROTOCOL, {
        headers: { authorization: `Bearer ${this.identity.agentToken}` },
        localAddress: this.localAddress,
        perMessageDeflate: false,
        handshakeTimeout: 15_000,
      });
      this.ws = ws;
      let helloOk = false;
      ws.on("open", () => {
        release();
        settled();
        this.#sendRaw(
          JSON.stringify({
            type: "hello",
            payload: {
              protocolVersion: PROTOCOL_VERSION,
              agentVersion: this.sim.agentVersion,
              hostname: this.identity.hostname,
              os: "linux",
              arch: "x64",
              restic: { version: "0.17.3", path: "/usr/bin/restic", error: null },
              timezone: this.sim.timezone,
              // What a real agent reports from its secrets file and armed set.
              held: {
                configVersion: this.configVersion,
                scheduleVersion: this.scheduleSet?.timezone === this.sim.timezone ? this.scheduleSet.version : null,
              },
            },
          }),
        );
      });
      ws.on("message", (data) => {
        this.metrics.messagesReceived++;
        const parsed = parseServerMessage(data.toString());
        if (!parsed.ok) return;
        if (parsed.message.type === "hello.ok" && !helloOk) {
          helloOk = true;
          this.metrics.connectLatency.add(Date.now() - openedAt);
        }
        this.#onMessage(parsed.message);
      });
      ws.on("error", () => {
        // 'close' follows; failures before hello.ok are counted there.
      });
      ws.on("close", (code) => {
        release();
        settled();
        if (this.ws === ws) this.ws = null;
        clearInterval(this.#heartbeat);
        clearTimeout(this.#heartbeat);
        if (this.online) {
          this.online = false;
          this.metrics.connected--;
        }
        if (!helloOk) this.metrics.connectFailures++;
        if (FATAL_CLOSE_CODES.has(code)) {
          this.#fatal = true;
          this.metrics.fatal++;
          this.sim.emit("fatal", this, code);
          return;
        }
        this.#scheduleReconnect(helloOk);
      });
    });
  }

  #scheduleReconnect(hadSession: boolean): void {
    if (this.#stopped || this.sim.stopped) return;
    if (hadSession) this.#attempt = 0;
    const base = Math.min(this.sim.backoff.maxMs, this.sim.backoff.initialMs * 2 ** this.#attempt);
    this.#attempt++;
    // "Equal jitter": half fixed, half random, so a restarted server is not hit by one wave.
    const delay = base / 2 + Math.random() * (base / 2);
    this.#reconnect = setTimeout(() => void this.connect(), delay);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    clearInterval(this.#heartbeat);
    clearTimeout(this.#heartbeat);
    for (const job of this.jobs.values()) for (const t of job.timers) clearTimeout(t);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((r) => ws.once("close", () => r()));
      ws.close(1000, "simulator stopping");
      const t = setTimeout(() => ws.terminate(), 2000);
      await closed;
      clearTimeout(t);
    }
  }

  #sendRaw(frame: string): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame);
    this.metrics.messagesSent++;
    return true;
  }

  #send<T extends AgentMessageType>(type: T, payload: AgentPayload<T>): boolean {
    return this.#sendRaw(JSON.stringify({ type, payload }));
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case "hello.ok": {
        this.online = true;
        this.sessions++;
        this.metrics.connected++;
        this.metrics.sessions++;
        if (this.#everConnected) this.metrics.reconnects++;
        this.#everConnected = true;
        this.heartbeatSeconds = msg.payload.heartbeatIntervalSeconds;
        this.#startHeartbeats();
        // Replay what the server has not acknowledged, in seq order per job.
        for (const pending of this.unacked.values()) {
          for (const p of pending) {
            p.sentAt = Date.now();
            this.metrics.eventsReplayed++;
            this.#sendRaw(p.frame);
          }
        }
        this.sim.emit("session", this);
        return;
      }
      case "config.update":
        this.configVersion = msg.payload.version;
        this.#send("config.ack", { version: msg.payload.version, error: null });
        return;
      case "schedule.set":
        // The simulator never fires schedules on its own; it only arms (keeps) the latest set.
        this.scheduleSet = msg.payload;
        this.metrics.scheduleSets++;
        this.#send("schedule.ack", { version: msg.payload.version, error: null });
        return;
      case "command.run":
        this.#onCommand(msg.payload);
        return;
      case "command.cancel": {
        const job = this.jobs.get(msg.payload.jobId);
        if (job?.finish) {
          job.cancelled = true;
          job.finish("cancelled");
        }
        return;
      }
      case "job.ack":
        this.#onAck(msg.payload.jobId, msg.payload.seq);
        return;
      case "rpc.request": {
        const { id, method } = msg.payload;
        if (method === "agent.ping") {
          this.#send("rpc.response", { id, ok: true, result: { pong: true, at: Date.now() } });
        } else {
          this.#send("rpc.response", {
            id,
            ok: false,
            error: { code: "unknown_method", message: `the simulated agent does not implement ${method}` },
          });
        }
        return;
      }
      default:
        return;
    }
  }

  #startHeartbeats(): void {
    clearTimeout(this.#heartbeat);
    const j = this.sim.heartbeatJitter;
    const next = (first: boolean) => {
      const base = this.heartbeatSeconds * 1000;
      // The first beat lands anywhere in the interval so a fleet that connected together spreads out.
      const delay = first ? Math.random() * base : base * (1 - j + Math.random() * 2 * j);
      this.#heartbeat = setTimeout(() => {
        this.#send("heartbeat", { at: Date.now(), runningJobIds: [...this.jobs.keys()].slice(0, 64) });
        next(false);
      }, delay);
    };
    next(true);
  }

  #onAck(jobId: string, seq: number): void {
    const pending = this.unacked.get(jobId);
    if (!pending) return;
    const now = Date.now();
    let n = 0;
    while (n < pending.length && (pending[n]?.seq ?? Infinity) <= seq) {
      const p = pending[n] as Pending;
      if (p.seq === seq) this.metrics.ackLatency.add(now - p.sentAt);
      if (p.lines > 0) {
        // The ack is cumulative: every line up to `seq` is committed now.
        this.metrics.logLinesAcked += p.lines;
        this.metrics.logAckLatency.add(now - p.sentAt);
      }
      n++;
    }
    pending.splice(0, n);
    if (pending.length === 0 && !this.jobs.has(jobId)) this.unacked.delete(jobId);
  }

  /** Sends a job event with the next seq; keeps it for replay until acked (except progress). */
  #jobEvent<T extends "job.started" | "job.progress" | "log.stream" | "job.finished">(
    job: SimJob,
    type: T,
    fields: Omit<AgentPayload<T>, "jobId" | "seq" | "at">,
    lines = 0,
  ): void {
    job.seq++;
    const frame = JSON.stringify({ type, payload: { jobId: job.jobId, seq: job.seq, at: Date.now(), ...fields } });
    // Offline, the event waits in `unacked` (progress is dropped) and goes out after hello.ok.
    this.#sendRaw(frame);
    if (type !== "job.progress") {
      let pending = this.unacked.get(job.jobId);
      if (!pending) {
        pending = [];
        this.unacked.set(job.jobId, pending);
      }
      pending.push({ seq: job.seq, frame, sentAt: Date.now(), lines });
    }
  }

  #onCommand(cmd: CommandRunPayload): void {
    const receivedAt = Date.now();
    this.metrics.commandsReceived++;
    this.sim.emit("command", this, cmd, receivedAt);
    if (this.jobs.has(cmd.jobId) || this.unacked.has(cmd.jobId)) return; // a redelivery
    const job: SimJob = { jobId: cmd.jobId, kind: cmd.kind, seq: 0, cancelled: false, timers: [] };
    this.jobs.set(cmd.jobId, job);
    this.#jobEvent(job, "job.started", { kind: cmd.kind });
    this.metrics.dispatchLatency.add(Date.now() - receivedAt);
    this.sim.emit("job.started", this, cmd.jobId, performance.timeOrigin + performance.now());
    switch (cmd.kind) {
      case "backup":
        this.#runBackup(job, cmd.params.paths);
        return;
      case "init":
        this.#line(job, 0, [`created restic repository ${randomBytes(5).toString("hex")} (simulated)`]);
        job.timers.push(setTimeout(() => this.#finish(job, "succeeded", 0, null, null), 50));
        return;
      default:
        this.#finish(job, "failed", null, `the fleet simulator does not implement "${cmd.kind}" jobs`, null);
        return;
    }
  }

  #line(job: SimJob, offset: number, lines: string[]): void {
    const at = Date.now();
    for (let i = 0; i < lines.length; i += MAX_LOG_LINES_PER_FRAME) {
      const chunk = lines.slice(i, i + MAX_LOG_LINES_PER_FRAME);
      this.#jobEvent(
        job,
        "log.stream",
        {
          lineOffset: offset + i,
          lines: chunk.map((line) => ({ at, stream: "stdout" as const, line })),
        },
        chunk.length,
      );
      this.metrics.logLinesSent += chunk.length;
    }
  }

  #finish(
    job: SimJob,
    status: "succeeded" | "failed" | "cancelled",
    exitCode: number | null,
    error: string | null,
    summary: Record<string, number | string | boolean | null> | null,
  ): void {
    for (const t of job.timers) clearTimeout(t);
    job.timers.length = 0;
    job.finish = undefined;
    this.#jobEvent(job, "job.finished", { status, exitCode, error, summary });
    this.jobs.delete(job.jobId);
    const pending = this.unacked.get(job.jobId);
    if (pending && pending.length === 0) this.unacked.delete(job.jobId);
    this.metrics.jobsFinished++;
    this.sim.emit("job.finished", this, job.jobId, status);
  }

  #runBackup(job: SimJob, paths: string[]): void {
    const { script, backup } = this.sim;
    const extra = Array.from(
      { length: backup.extraLines },
      (_, i) => `new       ${paths[0] ?? "/data"}/sim/file-${String(i).padStart(6, "0")}.dat`,
    );
    const lines = [`restic 0.17.3: backing up ${paths.join(", ")} (simulated)`, ...extra, ...script.lines];
    const start = Date.now();
    const total = lines.length;
    let offset = 0;
    let progressIdx = 0;
    const flush = () => {
      const due = Math.min(total, Math.ceil(((Date.now() - start) / backup.durationMs) * total));
      if (due > offset) {
        this.#line(job, offset, lines.slice(offset, due));
        offset = due;
      }
    };
    const flushTimer = setInterval(flush, backup.flushIntervalMs);
    const progressTimer = setInterval(() => {
      const p = script.progress[Math.min(progressIdx++, script.progress.length - 1)];
      if (!p) return;
      const elapsed = (Date.now() - start) / 1000;
      const frac = Math.min(1, (Date.now() - start) / backup.durationMs);
      this.#jobEvent(job, "job.progress", {
        percent: Math.max(p.percent, frac * 100),
        filesDone: p.filesDone,
        filesTotal: p.filesTotal,
        bytesDone: p.bytesDone,
        bytesTotal: p.bytesTotal,
        etaSeconds: frac > 0 ? Math.max(0, elapsed / frac - elapsed) : null,
        currentFile: p.currentFile,
      });
    }, backup.progressIntervalMs);
    const done = (status: "succeeded" | "cancelled") => {
      clearInterval(flushTimer);
      clearInterval(progressTimer);
      if (status === "cancelled") {
        if (offset < total) this.#line(job, offset, ["backup cancelled (simulated): restic was stopped"]);
        this.#finish(job, "cancelled", null, "Cancelled: restic was stopped before it saved a snapshot.", null);
        return;
      }
      if (offset < total) {
        this.#line(job, offset, lines.slice(offset));
        offset = total;
      }
      const id = randomBytes(32).toString("hex");
      this.#finish(job, "succeeded", 0, null, { ...script.summary, snapshotId: id.slice(0, 8) });
      this.snapshots.push({
        id,
        shortId: id.slice(0, 8),
        time: Date.now(),
        hostname: this.identity.hostname,
        username: "root",
        paths,
        tags: [],
        parent: this.snapshots.at(-1)?.id ?? null,
        summary: null,
      });
      this.#send("snapshots.report", {
        reportId: randomBytes(8).toString("hex"),
        part: 0,
        parts: 1,
        snapshots: this.snapshots.slice(-1000),
      });
      this.#send("repo.stats", {
        at: Date.now(),
        totalSizeBytes: Number(script.summary.dataAdded ?? 1_000_000) * this.snapshots.length,
        totalUncompressedSizeBytes: null,
        snapshotsCount: this.snapshots.length,
      });
    };
    job.finish = done;
    // The timers array is what stop() clears; intervals are cleared through finish.
    job.timers.push(setTimeout(() => done("succeeded"), backup.durationMs));
    job.timers.push(flushTimer, progressTimer);
  }
}
