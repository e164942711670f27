import { dirname, join, resolve } from "node:path";
import { PROTOCOL_VERSION, type ResticInfo } from "@restic-manager/protocol";
import type { Backoff } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import { AgentConnection, type RunOutcome } from "./connection.js";
import { type AgentContext, dispatchServerMessage } from "./handlers/index.js";
import { reportScheduleFire } from "./handlers/schedule-set.js";
import { collectHostFacts, hostTimeZone } from "./host.js";
import { Outbox } from "./jobs/outbox.js";
import { type Logger, registerSecret, silentLogger } from "./log.js";
import { locateRestic } from "./restic/locate.js";
import { ProcessRegistry } from "./restic/processes.js";
import { loadScheduleSet, Scheduler, schedulesFileFor } from "./scheduler.js";
import { SecretsStore } from "./secrets.js";
import { agentVersion } from "./version.js";

export interface AgentOptions {
  config: AgentConfig;
  log?: Logger;
  backoff?: Backoff;
  /** Replaces the restic probe (tests). */
  locate?: () => Promise<ResticInfo>;
  stableAfterMs?: number;
  helloOkTimeoutMs?: number;
  /** How long `stop()` waits for cancelled jobs to report before closing the socket. */
  stopJobsTimeoutMs?: number;
}

export interface Agent {
  run(): Promise<RunOutcome>;
  stop(): Promise<void>;
  readonly connection: AgentConnection;
  readonly context: AgentContext;
}

/**
 * The agent's state directory: the parent of the spool dir (/var/lib/restic-manager by default,
 * the config's directory for `--config elsewhere`). restic's cache and the process record live here.
 */
export const stateDirFor = (config: AgentConfig) => dirname(resolve(config.spoolDir));

/** Wires config, secrets store, restic probe, outbox, connection and handlers into a running agent. */
export function createAgent(options: AgentOptions): Agent {
  const { config } = options;
  const log = options.log ?? silentLogger;
  const secrets = new SecretsStore(config.secretsFile, config.secretsKey, config.hostId);
  registerSecret(config.agentToken);
  try {
    registerSecret(secrets.read()?.repository.password);
  } catch (error) {
    log.warn((error as Error).message);
  }

  let restic: ResticInfo = { version: null, path: null, error: "not probed yet" };
  const stateDir = stateDirFor(config);
  const probe =
    options.locate ??
    (() =>
      locateRestic({ configuredPath: config.resticPath ?? null, versionCache: join(stateDir, "restic-version.json") }));
  /** Started by run() so the first connect overlaps `restic version`; later hellos probe again. */
  let firstProbe: Promise<ResticInfo> | null = null;

  const outbox = new Outbox({
    spoolDir: config.spoolDir,
    send: (wire) => connection.send(wire),
    bufferedAmount: () => connection.bufferedAmount,
    log: log.child("outbox"),
  });
  const processes = new ProcessRegistry(join(stateDir, "restic-processes.json"), log.child("processes"));
  // A fire only asks the server to run the schedule's backups (see reportScheduleFire).
  const schedulerLog = log.child("scheduler");
  const scheduler = new Scheduler({
    onFire: (fire) => reportScheduleFire(fire, { send: (wire) => connection.send(wire), log: schedulerLog }),
    log: schedulerLog,
  });

  const context: AgentContext = {
    config,
    secrets,
    log: log.child("handlers"),
    agentVersion,
    restic: () => restic,
    send: (wire) => connection.send(wire),
    outbox,
    processes,
    stateDir,
    runningJobs: new Map(),
    scheduler,
  };

  const connection: AgentConnection = new AgentConnection({
    serverUrl: config.serverUrl,
    agentToken: config.agentToken,
    tlsPinSha256: config.tlsPinSha256 ?? null,
    log: log.child("connection"),
    backoff: options.backoff,
    stableAfterMs: options.stableAfterMs,
    helloOkTimeoutMs: options.helloOkTimeoutMs,
    runningJobIds: () => [...context.runningJobs.keys()],
    heldJobIds: () => outbox.heldJobIds(),
    hello: async () => {
      await startup;
      const probed = await (firstProbe ?? probe());
      firstProbe = null;
      // Bounded like the protocol field, so an odd path can never make hello unsendable.
      restic = { ...probed, error: probed.error?.slice(0, 1024) ?? null };
      if (restic.error) log.warn(`restic: ${restic.error}`);
      const timezone = hostTimeZone();
      return {
        protocolVersion: PROTOCOL_VERSION,
        agentVersion,
        ...collectHostFacts(),
        timezone,
        restic,
        held: { configVersion: heldConfigVersion(), scheduleVersion: heldScheduleVersion(timezone) },
      };
    },
    // Unacknowledged job events go out first; heartbeats wait for this promise.
    onSession: () => outbox.onSession(),
    onSessionEnd: () => outbox.onSessionEnd(),
    onMessage: (message) => dispatchServerMessage(message, context),
  });

  /** The repository config version in the secrets file; null when there is none or it is unreadable. */
  const heldConfigVersion = () => {
    try {
      return secrets.read()?.version ?? null;
    } catch {
      return null;
    }
  };
  /** The armed schedule set's version, when it was armed in the zone this host is in now. */
  const heldScheduleVersion = (timezone: string) => {
    const armed = scheduler.status();
    return armed.timezone === timezone ? armed.version : null;
  };

  /**
   * A previous agent process that was killed may have left restic running (own process group)
   * and job events unsent: stop the former and load the latter before the first hello. The last
   * schedule set the server sent keeps firing while the console is unreachable; the server sends
   * the current one again after hello.
   */
  const prepare = async () => {
    try {
      await processes.reapLeftovers();
    } catch (error) {
      log.error(`cannot stop leftover restic processes: ${(error as Error).message}`);
    }
    try {
      outbox.loadLeftovers();
    } catch (error) {
      log.error(`cannot read the job spool ${config.spoolDir}: ${(error as Error).message}`);
    }
    const schedulesFile = schedulesFileFor(stateDir);
    try {
      const set = loadScheduleSet(schedulesFile);
      if (set) scheduler.apply(set);
      else log.info(`no stored schedules in ${schedulesFile}; waiting for the console to send them`);
    } catch (error) {
      log.error(`ignored the stored schedules: ${(error as Error).message}; the console sends them on connect`);
    }
  };
  let startup: Promise<void> = Promise.resolve();

  return {
    connection,
    context,
    async run() {
      firstProbe = probe();
      // hello awaits it (and sees a failure); this only keeps an early rejection from going unhandled.
      firstProbe.catch(() => undefined);
      // Dialling needs none of the start-up work below, so it overlaps it; hello waits for it,
      // since the console may send work right after hello.ok.
      startup = prepare();
      return connection.run();
    },
    async stop() {
      scheduler.stop();
      const running = [...context.runningJobs.values()];
      for (const job of running) job.cancel();
      // Give cancelled jobs time to stop restic and put job.finished in the spool.
      const deadline = Date.now() + (options.stopJobsTimeoutMs ?? 8_000);
      while (context.runningJobs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      outbox.flush();
      await connection.stop();
      outbox.close();
    },
  };
}
