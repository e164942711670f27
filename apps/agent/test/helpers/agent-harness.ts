/**
 * An in-process agent wired to the fake server, with a real (or scripted) restic and a
 * repository in a temp dir: what the job tests need.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentMessage, CommandRunPayload, ResticInfo } from "@restic-manager/protocol";
import { type Agent, createAgent } from "../../src/agent.js";
import { Backoff } from "../../src/backoff.js";
import type { AgentConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { locateRestic } from "../../src/restic/locate.js";
import { testConfig } from "./config.js";
import type { AgentSession, FakeServer, JobEventMessage } from "./fake-server.js";
import { isJobEvent } from "./fake-server.js";

export const REAL_RESTIC = "/usr/bin/restic";
export const REPO_PASSWORD = "job-tests repo password";

export const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** hello.ok plus the repository credentials, like the real gateway. */
export function helloWithRepo(repo: string, heartbeatIntervalSeconds = 30) {
  return (session: AgentSession) => {
    session.send("hello.ok", { hostId: "host-1", serverVersion: "test", protocolVersion: 1, heartbeatIntervalSeconds });
    session.send("config.update", { version: 1, repository: { url: repo, username: null, password: REPO_PASSWORD } });
  };
}

export interface StartedAgent {
  agent: Agent;
  config: AgentConfig;
  logs: string[];
  outcome: ReturnType<Agent["run"]>;
}

export async function startAgent(
  server: FakeServer,
  dir: string,
  options: { resticPath?: string; config?: Partial<AgentConfig> } = {},
): Promise<StartedAgent> {
  const config = testConfig(dir, { serverUrl: server.url, ...options.config });
  const info: ResticInfo = await locateRestic({ configuredPath: options.resticPath ?? REAL_RESTIC });
  if (info.error) throw new Error(`restic unusable for the test: ${info.error}`);
  const logs: string[] = [];
  const agent = createAgent({
    config,
    log: createLogger("test", { level: "debug", write: (line) => logs.push(line) }),
    backoff: new Backoff({ baseMs: 20, maxMs: 100 }),
    locate: async () => info,
  });
  const outcome = agent.run();
  return { agent, config, logs, outcome };
}

/** Every job event of `jobId` the server received, in arrival order, across sessions. */
export function jobEvents(server: FakeServer, jobId: string, session?: number): JobEventMessage[] {
  const pool = session === undefined ? server.sessions : server.sessions.slice(session, session + 1);
  return pool
    .flatMap((s) => s.messages)
    .filter((m): m is JobEventMessage => isJobEvent(m) && m.payload.jobId === jobId);
}

export function finishedOf(server: FakeServer, jobId: string) {
  return jobEvents(server, jobId).find((m) => m.type === "job.finished") as
    | Extract<AgentMessage, { type: "job.finished" }>
    | undefined;
}

export async function waitFinished(server: FakeServer, jobId: string, timeoutMs = 60_000) {
  await server.waitUntil(() => finishedOf(server, jobId) !== undefined, `job.finished of ${jobId}`, timeoutMs);
  return finishedOf(server, jobId)!;
}

/** The job's log lines in line-number order, checking numbering is contiguous and unique. */
export function jobLines(server: FakeServer, jobId: string) {
  const byNumber = new Map<number, { stream: string; line: string }>();
  for (const event of jobEvents(server, jobId)) {
    if (event.type !== "log.stream") continue;
    event.payload.lines.forEach((l, i) => {
      const n = event.payload.lineOffset + i;
      const seen = byNumber.get(n);
      if (seen && seen.line !== l.line) throw new Error(`line ${n} arrived twice with different text`);
      byNumber.set(n, { stream: l.stream, line: l.line });
    });
  }
  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  numbers.forEach((n, i) => {
    if (n !== i) throw new Error(`log line numbers are not contiguous: expected ${i}, got ${n}`);
  });
  return numbers.map((n) => byNumber.get(n)!);
}

export function sendCommand(session: AgentSession, command: CommandRunPayload) {
  session.send("command.run", command as never);
}

/**
 * A stand-in restic: `backup` prints `before` verbose lines, waits for `gate` to exist (when
 * given), prints `after` more, then a summary; `snapshots`/`stats` print the given stdout.
 */
export function scriptedRestic(
  dir: string,
  options: {
    before: number;
    after: number;
    gate?: string;
    snapshots: string;
    stats: string;
    exitCode?: number;
    /** Printed to stderr before the summary. */
    stderr?: string[];
  },
): string {
  const path = join(dir, "fake-restic");
  const line = (i: number) =>
    `{"message_type":"verbose_status","action":"new","item":"/data/file-${i}","duration":0,"data_size":${i}}`;
  const lines = (from: number, count: number) =>
    Array.from({ length: count }, (_, k) => `echo '${line(from + k)}'`).join("\n");
  const snapshotsFile = join(dir, "fake-snapshots.json");
  const statsFile = join(dir, "fake-stats.json");
  writeFileSync(snapshotsFile, options.snapshots);
  writeFileSync(statsFile, options.stats);
  writeFileSync(
    path,
    `#!/bin/sh
case "$1" in
  version) echo "restic 0.14.0 compiled with go1.19.8 on linux/amd64" ;;
  backup)
${lines(0, options.before)}
    ${options.gate ? `while [ ! -e '${options.gate}' ]; do sleep 0.02; done` : ":"}
${lines(options.before, options.after)}
${(options.stderr ?? []).map((l) => `    echo '${l}' >&2`).join("\n")}
    echo '{"message_type":"status","percent_done":1,"total_files":${options.before + options.after},"files_done":${options.before + options.after}}'
    echo '{"message_type":"summary","files_new":${options.before + options.after},"total_files_processed":${options.before + options.after},"total_duration":0.5,"snapshot_id":"ed7dce79"}'
    exit ${options.exitCode ?? 0}
    ;;
  snapshots) cat '${snapshotsFile}' ;;
  stats) cat '${statsFile}' ;;
  *) echo "fake restic: unexpected $*" >&2; exit 1 ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return path;
}
