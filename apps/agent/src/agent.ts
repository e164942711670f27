import { PROTOCOL_VERSION, type ResticInfo } from "@restic-manager/protocol";
import type { Backoff } from "./backoff.js";
import type { AgentConfig } from "./config.js";
import { AgentConnection, type RunOutcome } from "./connection.js";
import { type AgentContext, dispatchServerMessage } from "./handlers/index.js";
import { collectHostFacts } from "./host.js";
import { type Logger, registerSecret, silentLogger } from "./log.js";
import { locateRestic } from "./restic/locate.js";
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
}

export interface Agent {
  run(): Promise<RunOutcome>;
  stop(): Promise<void>;
  readonly connection: AgentConnection;
  readonly context: AgentContext;
}

/** Wires config, secrets store, restic probe, connection and handlers into a running agent. */
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
  const probe = options.locate ?? (() => locateRestic({ configuredPath: config.resticPath ?? null }));

  const context: AgentContext = {
    config,
    secrets,
    log: log.child("handlers"),
    agentVersion,
    restic: () => restic,
    send: (wire) => connection.send(wire),
    runningJobs: new Map(),
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
    hello: async () => {
      const probed = await probe();
      // Bounded like the protocol field, so an odd path can never make hello unsendable.
      restic = { ...probed, error: probed.error?.slice(0, 1024) ?? null };
      if (restic.error) log.warn(`restic: ${restic.error}`);
      return { protocolVersion: PROTOCOL_VERSION, agentVersion, ...collectHostFacts(), restic };
    },
    onMessage: (message) => dispatchServerMessage(message, context),
  });

  return {
    connection,
    context,
    run: () => connection.run(),
    stop: async () => {
      for (const job of context.runningJobs.values()) job.cancel();
      await connection.stop();
    },
  };
}
