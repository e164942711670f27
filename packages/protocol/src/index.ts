/**
 * The agent <-> server wire protocol. This file is the specification: the server gateway and the
 * agent both import it, and the golden fixtures in `test/fixtures/` pin every message's shape.
 *
 * Transport
 * - The agent opens `wss://<server>/ws/agent` (AGENT_WS_PATH) with `Authorization: Bearer <agent
 *   token>` and the subprotocol AGENT_SUBPROTOCOL. The server checks the bearer before upgrading
 *   (401 otherwise) and accepts only that subprotocol.
 * - Every frame is one UTF-8 JSON text frame `{ "type": "<dotted.name>", "payload": { ... } }`
 *   of at most MAX_FRAME_BYTES. Unknown payload fields are dropped, so adding an optional field
 *   needs no version bump; unknown message types are rejected. A breaking change bumps
 *   PROTOCOL_VERSION (and MIN_PROTOCOL_VERSION once the server drops the old shape).
 * - Times are epoch milliseconds (integers). Ids are opaque strings.
 *
 * Session
 * 1. agent -> `hello`. The server closes with CLOSE_CODES.HELLO_TIMEOUT if it does not arrive in
 *    HELLO_TIMEOUT_MS, and answers a protocolVersion outside [MIN_PROTOCOL_VERSION,
 *    PROTOCOL_VERSION] with `error` {code: "protocol_too_old"} then CLOSE_CODES.PROTOCOL_TOO_OLD.
 * 2. server -> `hello.ok`, then `config.update` (repository credentials travel only there); the
 *    agent stores them and answers `config.ack`.
 * 3. agent -> `heartbeat` every `heartbeatIntervalSeconds`; a socket silent for 3 intervals is
 *    closed with CLOSE_CODES.HELLO_TIMEOUT (4008) and the host is marked offline.
 * 4. server -> `command.run` / `command.cancel`; agent -> `job.started`, `job.progress`,
 *    `log.stream`, `job.finished`. Each job event carries `(jobId, seq)`, seq starting at 1 and
 *    strictly increasing per job across all four event types. The server persists and answers
 *    `job.ack` {jobId, seq}, a cumulative ack: "everything of this job up to seq is stored". The
 *    agent spools unacked events (not progress) on disk and replays them after the next
 *    `hello.ok`; the server must treat replays idempotently (log lines are keyed by
 *    `lineOffset + i`, started/finished are idempotent by jobId).
 * 5. Either side -> `rpc.request` {id, method, params}; the other answers `rpc.response` with the
 *    same id. Callers time out on their own.
 * 6. A newer socket for the same host replaces the old one (CLOSE_CODES.REPLACED). Revoking the
 *    host closes it with CLOSE_CODES.REVOKED; the agent stops instead of reconnecting.
 */
import { z } from "zod";
import { ZJobFinalStatus, ZJobKind, ZRetention } from "./vocabulary.js";

export * from "./vocabulary.js";

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** The protocol this build speaks. */
export const PROTOCOL_VERSION = 1;
/** The oldest agent protocol the server still accepts. */
export const MIN_PROTOCOL_VERSION = 1;
/** The only WebSocket subprotocol the gateway accepts. */
export const AGENT_SUBPROTOCOL = "restic-manager.agent.v1";
export const AGENT_WS_PATH = "/ws/agent";
export const ENROLL_PATH = "/api/agents/enroll";
/** `GET /agent/binary?os=linux&arch=x64` and `/agent/binary.sha256?...` serve the agent build. */
export const AGENT_BINARY_PATH = "/agent/binary";

/** Largest accepted frame; the gateway sets ws `maxPayload` to this (a larger frame closes 1009). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** JSON nesting deeper than this is rejected before parsing (no message needs more than ~8). */
export const MAX_JSON_DEPTH = 64;
export const HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 30;
/** Without a heartbeat for this long a host is offline (3 missed heartbeats). */
export const OFFLINE_AFTER_MS = 90_000;

export const CLOSE_CODES = {
  /** Clean shutdown by either side (agent stopping, server shutting down). */
  NORMAL: 1000,
  /** The frame was not UTF-8 JSON. */
  INVALID_JSON: 1007,
  /** Valid JSON that breaks the protocol: unknown type, wrong field types, too deep, no hello first. */
  POLICY: 1008,
  /** The frame exceeded MAX_FRAME_BYTES. */
  TOO_BIG: 1009,
  /** A newer connection for the same host took over. The agent backs off and reconnects. */
  REPLACED: 4000,
  /** The agent's protocol is older than MIN_PROTOCOL_VERSION. The agent exits: it must be upgraded. */
  PROTOCOL_TOO_OLD: 4001,
  /** The host was revoked. The agent exits and does not reconnect. */
  REVOKED: 4003,
  /** No hello within HELLO_TIMEOUT_MS, or silent for 3 heartbeat intervals. */
  HELLO_TIMEOUT: 4008,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Close codes after which the agent must stop instead of reconnecting. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE_CODES.PROTOCOL_TOO_OLD, CLOSE_CODES.REVOKED]);

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** Every string on the wire is bounded; NUL never appears in a legitimate one. */
const NO_NUL = /^[^\0]*$/;
const text = (max: number) => z.string().max(max).regex(NO_NUL, "must not contain NUL bytes");
const nonEmpty = (max: number) => z.string().min(1).max(max).regex(NO_NUL, "must not contain NUL bytes");

export const ZId = nonEmpty(128);
export const ZEpochMs = z.number().int().nonnegative().max(8.64e15);
export const ZSeq = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
export const ZCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const ZVersionString = nonEmpty(128);
/** A filesystem path or restic pattern as the operator typed it. */
export const ZPath = nonEmpty(4096);
/**
 * A path restic receives as an argument. It must not look like a flag: the agent also puts `--`
 * before positional arguments, this is the second fence.
 */
export const ZArgPath = ZPath.refine((p) => !p.startsWith("-"), "must not start with '-'");
export const ZTag = nonEmpty(128).refine(
  (t) => !t.startsWith("-") && !t.includes(","),
  "must not start with '-' or contain ','",
);

/** An IANA zone name ("UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"). */
export const ZTimeZone = nonEmpty(64).regex(/^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/, "an IANA time zone name");

export const AGENT_OSES = ["linux", "windows", "darwin", "freebsd", "openbsd", "netbsd", "other"] as const;
export const ZAgentOs = z.enum(AGENT_OSES);
export type AgentOs = z.infer<typeof ZAgentOs>;
/** Node/Bun arch names: x64, arm64, ia32, arm, ... */
export const ZAgentArch = nonEmpty(32).regex(/^[a-z0-9_]+$/, "lower-case letters, digits and '_' only");

/** Machine-readable codes carried in `error` messages and rpc failures. Open set: new codes may appear. */
export const KNOWN_ERROR_CODES = [
  "protocol_too_old",
  "revoked",
  "replaced",
  "invalid_json",
  "invalid_message",
  "unknown_type",
  "too_large",
  "too_deep",
  "hello_required",
  "unknown_job",
  "unknown_method",
  "busy",
  "restic_unavailable",
  "no_repository",
  "internal",
] as const;
export type KnownErrorCode = (typeof KNOWN_ERROR_CODES)[number];
export const ZErrorCode = nonEmpty(64).regex(/^[a-z][a-z0-9_]*$/, "snake_case");
export const ZErrorBody = z.object({
  code: ZErrorCode,
  message: text(4096),
});
export type ErrorBody = z.infer<typeof ZErrorBody>;

/** Arbitrary JSON (rpc params/results). Depth and size are bounded by the frame guards. */
const ZJsonValue = z.unknown();

/**
 * Stats of a finished job, flat scalars with camelCase keys. For a backup these are restic's
 * summary: filesNew, filesChanged, filesUnmodified, dirsNew, dirsChanged, dirsUnmodified,
 * dataBlobs, treeBlobs, dataAdded, totalFilesProcessed, totalBytesProcessed, totalDuration,
 * snapshotId.
 */
export const ZJobSummary = z
  .record(nonEmpty(64), z.union([z.number(), text(1024), z.boolean(), z.null()]))
  .refine((o) => Object.keys(o).length <= 64, "at most 64 keys");
export type JobSummary = z.infer<typeof ZJobSummary>;

// ---------------------------------------------------------------------------------------------
// Command parameters, one shape per job kind
// ---------------------------------------------------------------------------------------------

export const ZBackupParams = z.object({
  /** Absolute paths to back up. */
  paths: z.array(ZArgPath).min(1).max(1000),
  /** restic --exclude patterns (each passed as `--exclude=<pattern>`). */
  excludes: z.array(ZPath).max(1000),
  tags: z.array(ZTag).max(64),
  sourceGroupId: ZId.nullable().optional(),
  /**
   * Shell commands run by the agent around this backup (`/bin/sh -c`, `cmd.exe /C` on Windows),
   * never with repository secrets in their environment. A failing pre hook aborts the backup;
   * the post hook always runs, with RM_JOB_STATUS=succeeded|failed.
   */
  hooks: z
    .object({
      pre: text(16_384).nullable(),
      post: text(16_384).nullable(),
      timeoutSeconds: z.number().int().min(1).max(86_400),
    })
    .nullable()
    .optional(),
});
export type BackupParams = z.infer<typeof ZBackupParams>;

export const ZForgetParams = ZRetention.extend({
  /** Only snapshots carrying all of these tags are considered. */
  tags: z.array(ZTag).max(64),
  prune: z.boolean(),
});
export type ForgetParams = z.infer<typeof ZForgetParams>;

export const ZPruneParams = z.object({
  /** restic --max-unused, e.g. "5%" or "unlimited". */
  maxUnused: text(32)
    .regex(/^(\d+(\.\d+)?%|\d+[kKmMgGtT]?|unlimited)$/, "a percentage, a size or 'unlimited'")
    .nullable(),
});
export const ZCheckParams = z.object({
  /** restic --read-data-subset, e.g. "5%" or "1/10"; null reads no pack data. */
  readDataSubset: text(32)
    .regex(/^(\d+(\.\d+)?%|\d+\/\d+|\d+[kKmMgGtT]?)$/, "a percentage, n/m or a size")
    .nullable(),
});
export const ZUnlockParams = z.object({ removeAll: z.boolean() });
export const ZInitParams = z.object({});
export const ZSnapshotRef = nonEmpty(64).regex(/^([0-9a-f]{8,64}|latest)$/, "a snapshot id or 'latest'");
export const ZRestoreParams = z.object({
  snapshotId: ZSnapshotRef,
  /** Directory to restore into; "/" only after the operator typed the host name (checked server-side). */
  target: ZArgPath,
  include: z.array(ZPath).max(1000),
  exclude: z.array(ZPath).max(1000),
});
export const ZDiffParams = z.object({ snapshotA: ZSnapshotRef, snapshotB: ZSnapshotRef });

/** Bandwidth caps in KiB/s, passed to restic as the global --limit-upload / --limit-download. */
export const ZBandwidthLimits = z.object({
  uploadKbps: z.number().int().positive().max(100_000_000).nullable(),
  downloadKbps: z.number().int().positive().max(100_000_000).nullable(),
});
export type BandwidthLimits = z.infer<typeof ZBandwidthLimits>;

/** Fields every command.run carries besides its kind and params. */
const commandBase = {
  jobId: ZId,
  /** Host-wide caps, or a per-run override; absent or null fields mean unlimited. */
  limits: ZBandwidthLimits.optional(),
};

/** `command.run` payload: discriminated on `kind`, so each kind has its own params. */
export const ZCommandRunPayload = z.discriminatedUnion("kind", [
  z.object({ ...commandBase, kind: z.literal("init"), params: ZInitParams }),
  z.object({ ...commandBase, kind: z.literal("backup"), params: ZBackupParams }),
  z.object({ ...commandBase, kind: z.literal("forget"), params: ZForgetParams }),
  z.object({
    ...commandBase,
    kind: z.literal("prune"),
    params: ZPruneParams,
    /**
     * The separate admin credential for prune, sent only with a prune job. The agent keeps it in
     * memory for this job and never writes it to disk; without it the regular one is used.
     */
    adminRepository: z.lazy(() => ZRepositoryConfig).optional(),
  }),
  z.object({ ...commandBase, kind: z.literal("check"), params: ZCheckParams }),
  z.object({ ...commandBase, kind: z.literal("unlock"), params: ZUnlockParams }),
  z.object({ ...commandBase, kind: z.literal("restore"), params: ZRestoreParams }),
  z.object({ ...commandBase, kind: z.literal("diff"), params: ZDiffParams }),
]);
export type CommandRunPayload = z.infer<typeof ZCommandRunPayload>;

// ---------------------------------------------------------------------------------------------
// Shared messages (both directions)
// ---------------------------------------------------------------------------------------------

const message = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ type: z.literal(type), payload });

export const ZRpcRequest = message(
  "rpc.request",
  z.object({
    id: ZId,
    method: nonEmpty(64).regex(/^[a-z][a-zA-Z0-9_.]*$/, "a dotted method name"),
    params: ZJsonValue,
  }),
);
export const ZRpcResponse = message(
  "rpc.response",
  z.discriminatedUnion("ok", [
    z.object({ id: ZId, ok: z.literal(true), result: ZJsonValue }),
    z.object({ id: ZId, ok: z.literal(false), error: ZErrorBody }),
  ]),
);
export const ZError = message("error", ZErrorBody);

// ---------------------------------------------------------------------------------------------
// Agent -> server
// ---------------------------------------------------------------------------------------------

export const ZResticInfo = z.object({
  /** "0.14.0"; null when restic is missing or unusable. */
  version: ZVersionString.nullable(),
  /** Absolute path of the binary used; null when not found. */
  path: ZPath.nullable(),
  /** Why restic cannot be used, for the operator; null when fine. */
  error: text(1024).nullable(),
});
export type ResticInfo = z.infer<typeof ZResticInfo>;

export const ZHello = message(
  "hello",
  z.object({
    protocolVersion: z.number().int().nonnegative().max(1_000_000),
    agentVersion: ZVersionString,
    hostname: nonEmpty(255),
    os: ZAgentOs,
    arch: ZAgentArch,
    restic: ZResticInfo,
    /** IANA time zone of the host ("Europe/Berlin"); schedules fire in it. Absent from old agents. */
    timezone: ZTimeZone.optional(),
    /**
     * Versions of the repository config and the schedule set the agent holds (null: none, or
     * not usable here), so a reconnecting agent is sent only what changed. Absent from old
     * agents, which are sent both.
     */
    held: z
      .object({
        configVersion: z.number().int().nonnegative().nullable(),
        scheduleVersion: z.number().int().nonnegative().nullable(),
      })
      .optional(),
  }),
);

export const ZHeartbeat = message(
  "heartbeat",
  z.object({
    at: ZEpochMs,
    /** Jobs the agent is running right now; the server marks others it thought running as interrupted. */
    runningJobIds: z.array(ZId).max(64),
    /**
     * Jobs that ended on the agent but whose last events the server has not acknowledged yet
     * (a storage failure on the server, say). The server treats them as still running, so a job
     * that succeeded is never marked interrupted while its end is on the way. Optional: older
     * agents do not send it.
     */
    heldJobIds: z.array(ZId).max(1024).optional(),
  }),
);

export const ZConfigAck = message(
  "config.ack",
  z.object({
    version: ZCount,
    /** Null when the credentials were stored; otherwise why not (never contains the password). */
    error: text(1024).nullable(),
  }),
);

/** The agent armed (or failed to arm) the schedule set of this version. */
export const ZScheduleAck = message(
  "schedule.ack",
  z.object({
    version: ZCount,
    /** Null when every schedule was armed; otherwise why not. */
    error: text(1024).nullable(),
  }),
);

/**
 * The agent's local scheduler reached a slot. The server creates one backup job per source group
 * of the schedule; (scheduleId, group, slotAt) is unique, so a repeated fire runs nothing twice.
 */
export const ZScheduleFire = message(
  "schedule.fire",
  z.object({
    scheduleId: ZId,
    /** The slot (cron time) this fire is for, not the moment it was sent. */
    slotAt: ZEpochMs,
    /** The schedule-set version the agent armed. */
    version: ZCount,
  }),
);

const jobEvent = <S extends z.ZodRawShape>(shape: S) => z.object({ jobId: ZId, seq: ZSeq, at: ZEpochMs, ...shape });

export const ZJobStarted = message("job.started", jobEvent({ kind: ZJobKind }));

export const ZJobProgress = message(
  "job.progress",
  jobEvent({
    /** 0..100. */
    percent: z.number().min(0).max(100),
    filesDone: ZCount,
    /** Null while restic is still counting. */
    filesTotal: ZCount.nullable(),
    bytesDone: ZCount,
    bytesTotal: ZCount.nullable(),
    etaSeconds: z.number().nonnegative().max(1e9).nullable(),
    currentFile: text(4096).nullable(),
  }),
);

/** A job's progress as the agent reports it; the console stores and forwards it unchanged. */
export type JobProgress = z.infer<typeof ZJobProgress>["payload"];

export const LOG_STREAMS = ["stdout", "stderr", "system"] as const;
export const ZLogLine = z.object({
  at: ZEpochMs,
  stream: z.enum(LOG_STREAMS),
  /** One line without its newline; the agent truncates longer lines to MAX_LOG_LINE_CHARS. */
  line: text(16_384),
});
export type LogLine = z.infer<typeof ZLogLine>;
export const MAX_LOG_LINE_CHARS = 16_384;
export const MAX_LOG_LINES_PER_FRAME = 1000;

export const ZLogStream = message(
  "log.stream",
  jobEvent({
    /** Job-wide index of lines[0] (0-based): line i is number lineOffset + i, so replays dedupe. */
    lineOffset: ZCount,
    lines: z.array(ZLogLine).min(1).max(MAX_LOG_LINES_PER_FRAME),
  }),
);

export const ZJobFinished = message(
  "job.finished",
  jobEvent({
    status: ZJobFinalStatus,
    /** restic's exit code; null when it never ran or was killed by a signal. 3 = succeeded with unreadable files. */
    exitCode: z.number().int().min(-1).max(255).nullable(),
    error: text(4096).nullable(),
    summary: ZJobSummary.nullable(),
  }),
);

export const ZSnapshot = z.object({
  /** Full 64-hex id. */
  id: nonEmpty(64).regex(/^[0-9a-f]{64}$/, "64 hex digits"),
  shortId: nonEmpty(16).regex(/^[0-9a-f]{8,16}$/, "hex"),
  time: ZEpochMs,
  hostname: text(255),
  username: text(255).nullable(),
  paths: z.array(ZPath).max(10_000),
  tags: z.array(text(255)).max(256),
  parent: nonEmpty(64).nullable(),
  /** restic >= 0.17 records the backup summary in the snapshot; null before. */
  summary: ZJobSummary.nullable(),
});
export type Snapshot = z.infer<typeof ZSnapshot>;

export const ZSnapshotsReport = message(
  "snapshots.report",
  z.object({
    /** Groups the parts of one listing; the server replaces the host's list once all parts arrived. */
    reportId: ZId,
    /** 0-based part number and part count: a long listing is split to stay under MAX_FRAME_BYTES. */
    part: ZCount,
    parts: z.number().int().positive().max(100_000),
    snapshots: z.array(ZSnapshot).max(10_000),
  }),
);

/** `restic stats --json --mode raw-data` after a backup or prune: what the repository occupies. */
export const ZRepoStats = message(
  "repo.stats",
  z.object({
    at: ZEpochMs,
    /** Bytes stored in the repository (raw-data mode: after deduplication and compression). */
    totalSizeBytes: ZCount,
    /** Before compression (restic >= 0.14 with repository v2); null when restic does not report it. */
    totalUncompressedSizeBytes: ZCount.nullable(),
    snapshotsCount: ZCount.nullable(),
  }),
);

export const ZAgentMessage = z.discriminatedUnion("type", [
  ZHello,
  ZHeartbeat,
  ZConfigAck,
  ZJobStarted,
  ZJobProgress,
  ZLogStream,
  ZJobFinished,
  ZSnapshotsReport,
  ZRepoStats,
  ZScheduleAck,
  ZScheduleFire,
  ZRpcRequest,
  ZRpcResponse,
  ZError,
]);
export type AgentMessage = z.infer<typeof ZAgentMessage>;
export type AgentMessageType = AgentMessage["type"];
export const AGENT_MESSAGE_TYPES = ZAgentMessage.options.map((o) => o.shape.type.value) as AgentMessageType[];

// ---------------------------------------------------------------------------------------------
// Server -> agent
// ---------------------------------------------------------------------------------------------

export const ZHelloOk = message(
  "hello.ok",
  z.object({
    hostId: ZId,
    serverVersion: ZVersionString,
    /** The protocol the server speaks (>= the agent's when accepted). */
    protocolVersion: z.number().int().positive().max(1_000_000),
    heartbeatIntervalSeconds: z.number().int().min(1).max(3600),
  }),
);

export const ZRepositoryConfig = z.object({
  /** restic repository string: "/srv/restic", "sftp:user@host:/path", "rest:https://...", "s3:...". */
  url: nonEmpty(2048),
  username: text(255).nullable(),
  password: nonEmpty(4096),
});
export type RepositoryConfig = z.infer<typeof ZRepositoryConfig>;

export const ZConfigUpdate = message(
  "config.update",
  z.object({
    /** Increases with every change; the agent acks it. */
    version: ZCount,
    repository: ZRepositoryConfig,
  }),
);

/** One armed schedule: a cron in the host's time zone and the groups it backs up. */
export const ZArmedSchedule = z.object({
  scheduleId: ZId,
  /** croner syntax: 5 fields, or 6 with seconds first. */
  cron: nonEmpty(128),
  enabled: z.boolean(),
  groups: z
    .array(z.object({ id: ZId, name: ZTag }))
    .min(1)
    .max(64),
});
export type ArmedSchedule = z.infer<typeof ZArmedSchedule>;

/**
 * The complete backup schedule set of the host. It replaces whatever the agent had armed; the
 * agent answers schedule.ack with the version.
 */
export const ZScheduleSet = message(
  "schedule.set",
  z.object({
    version: ZCount,
    timezone: ZTimeZone,
    schedules: z.array(ZArmedSchedule).max(1000),
  }),
);

export const ZCommandRun = message("command.run", ZCommandRunPayload);
export const ZCommandCancel = message("command.cancel", z.object({ jobId: ZId }));
export const ZJobAck = message("job.ack", z.object({ jobId: ZId, seq: ZSeq }));

export const ZServerMessage = z.discriminatedUnion("type", [
  ZHelloOk,
  ZConfigUpdate,
  ZScheduleSet,
  ZCommandRun,
  ZCommandCancel,
  ZJobAck,
  ZRpcRequest,
  ZRpcResponse,
  ZError,
]);
export type ServerMessage = z.infer<typeof ZServerMessage>;
export type ServerMessageType = ServerMessage["type"];
export const SERVER_MESSAGE_TYPES = ZServerMessage.options.map((o) => o.shape.type.value) as ServerMessageType[];

export type AgentPayload<T extends AgentMessageType> = Extract<AgentMessage, { type: T }>["payload"];
export type ServerPayload<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>["payload"];

// ---------------------------------------------------------------------------------------------
// Parsing: never throws, every failure has a typed reason
// ---------------------------------------------------------------------------------------------

export const PARSE_REJECTIONS = ["too_large", "invalid_json", "too_deep", "unknown_type", "invalid_message"] as const;
export type ParseRejection = (typeof PARSE_REJECTIONS)[number];

export type ParseResult<M> = { ok: true; message: M } | { ok: false; reason: ParseRejection; detail: string };

/** What ws hands to a `message` listener, or a plain string. */
export type RawFrame = string | Uint8Array | ArrayBuffer | readonly Uint8Array[];

/** The close code a server (or agent) uses for a frame rejected with this reason. */
export function closeCodeFor(reason: ParseRejection): CloseCode {
  switch (reason) {
    case "too_large":
      return CLOSE_CODES.TOO_BIG;
    case "invalid_json":
      return CLOSE_CODES.INVALID_JSON;
    default:
      return CLOSE_CODES.POLICY;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

const reject = (reason: ParseRejection, detail: string) => ({ ok: false as const, reason, detail });

function frameToText(
  raw: RawFrame,
): { ok: true; text: string } | { ok: false; reason: ParseRejection; detail: string } {
  if (typeof raw === "string") {
    // Every UTF-16 unit needs at least one UTF-8 byte; encode only when the bound is unclear.
    if (raw.length > MAX_FRAME_BYTES) return reject("too_large", `frame exceeds ${MAX_FRAME_BYTES} bytes`);
    if (raw.length * 3 > MAX_FRAME_BYTES && utf8Encoder.encode(raw).length > MAX_FRAME_BYTES) {
      return reject("too_large", `frame exceeds ${MAX_FRAME_BYTES} bytes`);
    }
    return { ok: true, text: raw };
  }
  let bytes: Uint8Array;
  if (raw instanceof Uint8Array) bytes = raw;
  else if (raw instanceof ArrayBuffer) bytes = new Uint8Array(raw);
  else if (Array.isArray(raw)) {
    const total = raw.reduce((n, part) => n + part.length, 0);
    if (total > MAX_FRAME_BYTES) return reject("too_large", `frame exceeds ${MAX_FRAME_BYTES} bytes`);
    bytes = new Uint8Array(total);
    let at = 0;
    for (const part of raw) {
      bytes.set(part, at);
      at += part.length;
    }
  } else return reject("invalid_json", "frame is neither text nor bytes");
  if (bytes.length > MAX_FRAME_BYTES) return reject("too_large", `frame exceeds ${MAX_FRAME_BYTES} bytes`);
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return reject("invalid_json", "frame is not valid UTF-8");
  }
}

/** Nesting depth of a JSON text, counted without parsing so hostile nesting costs one linear scan. */
function jsonDepthExceeds(json: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

// "__proto__" and "prototype" are the keys prototype pollution needs; no message uses either.
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype"]);

function parseFrame<M>(raw: RawFrame, schema: z.ZodType<M>, knownTypes: readonly string[]): ParseResult<M> {
  try {
    const decoded = frameToText(raw);
    if (!decoded.ok) return decoded;
    if (jsonDepthExceeds(decoded.text, MAX_JSON_DEPTH)) {
      return reject("too_deep", `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    }
    let forbiddenKey: string | null = null;
    let value: unknown;
    try {
      // JSON.parse defines "__proto__" as an own property (no pollution by itself), but a later
      // assignment-based copy would turn it into a prototype: refuse such frames outright.
      value = JSON.parse(decoded.text, (key, v) => {
        if (FORBIDDEN_KEYS.has(key)) {
          forbiddenKey = key;
          return undefined;
        }
        return v;
      });
    } catch (err) {
      return reject("invalid_json", err instanceof Error ? err.message.slice(0, 200) : "invalid JSON");
    }
    if (forbiddenKey !== null) return reject("invalid_message", `forbidden key "${forbiddenKey}"`);
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return reject("invalid_message", "frame must be a JSON object");
    }
    const type = (value as { type?: unknown }).type;
    if (typeof type !== "string") return reject("invalid_message", 'missing string field "type"');
    if (!knownTypes.includes(type)) return reject("unknown_type", `unknown message type "${type.slice(0, 64)}"`);
    const parsed = schema.safeParse(value);
    if (!parsed.success) return reject("invalid_message", describeIssues(type, parsed.error));
    return { ok: true, message: parsed.data };
  } catch (err) {
    // Unreachable in practice; the contract is "never throws".
    return reject("invalid_message", err instanceof Error ? err.message.slice(0, 200) : "unparseable frame");
  }
}

function describeIssues(type: string, error: z.ZodError): string {
  const issues = error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : "";
  return `${type}: ${issues.join("; ")}${more}`.slice(0, 500);
}

/** Parses a frame the agent sent. Never throws. */
export const parseAgentMessage = (raw: RawFrame): ParseResult<AgentMessage> =>
  parseFrame(raw, ZAgentMessage, AGENT_MESSAGE_TYPES);

/** Parses a frame the server sent. Never throws. */
export const parseServerMessage = (raw: RawFrame): ParseResult<ServerMessage> =>
  parseFrame(raw, ZServerMessage, SERVER_MESSAGE_TYPES);

// ---------------------------------------------------------------------------------------------
// Serialising: validates, so a bug on the sending side fails loudly before it reaches the wire
// ---------------------------------------------------------------------------------------------

type Brand<T, B extends string> = T & { readonly __brand: B };
export type AgentWireMessage = Brand<string, "AgentWireMessage">;
export type ServerWireMessage = Brand<string, "ServerWireMessage">;

/** Serialises an agent -> server message. Throws (a programming error) when the payload is invalid. */
export function createAgentMessage<T extends AgentMessageType>(type: T, payload: AgentPayload<T>): AgentWireMessage {
  return JSON.stringify(ZAgentMessage.parse({ type, payload })) as AgentWireMessage;
}

/** Serialises a server -> agent message. Throws (a programming error) when the payload is invalid. */
export function createServerMessage<T extends ServerMessageType>(
  type: T,
  payload: ServerPayload<T>,
): ServerWireMessage {
  return JSON.stringify(ZServerMessage.parse({ type, payload })) as ServerWireMessage;
}

// ---------------------------------------------------------------------------------------------
// HTTP enrolment: POST ENROLL_PATH
// ---------------------------------------------------------------------------------------------

export const ZEnrollRequest = z.object({
  token: z.string().trim().min(1, "the enrolment token is empty").max(256),
  hostname: nonEmpty(255),
  os: ZAgentOs,
  arch: ZAgentArch,
  agentVersion: ZVersionString,
});
export type EnrollRequest = z.infer<typeof ZEnrollRequest>;

export const ZEnrollResponse = z.object({
  hostId: ZId,
  /** The persistent bearer, shown once; the server stores only its SHA-256. */
  agentToken: nonEmpty(256),
  /**
   * Kept in the shape for a server that terminates TLS itself; the usual server sits behind a
   * reverse proxy and leaves it null, and the operator passes the pin to the installer instead.
   */
  tlsPinSha256: z.string().nullable().optional(),
});
export type EnrollResponse = z.infer<typeof ZEnrollResponse>;

export const ENROLL_ERROR_CODES = [
  "invalid_request",
  "token_empty",
  "token_invalid",
  "token_expired",
  "token_used",
  "host_revoked",
  "rate_limited",
  "internal",
] as const;
export type EnrollErrorCode = (typeof ENROLL_ERROR_CODES)[number];

/** Body of every non-2xx enrolment answer; `message` is printed verbatim by the agent. */
export const ZEnrollError = z.object({
  error: z.object({
    code: ZErrorCode,
    message: text(1024),
  }),
});
export type EnrollError = z.infer<typeof ZEnrollError>;
