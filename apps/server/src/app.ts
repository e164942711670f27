/**
 * The composition root: opens the database, proves the secret key, builds the services and
 * the HTTP server. Tests call `startServer` with a temp data dir and port 0.
 */
import { mkdirSync } from "node:fs";
import { createCore, loadSecretBox } from "@restic-manager/core";
import { migrateDatabase, openDatabase } from "@restic-manager/db";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import { AgentGateway, type GatewayOptions } from "./gateway/gateway.js";
import { JobStreamHub } from "./http/job-stream.js";
import { buildHttpServer } from "./http/server.js";
import { startAlertsTicker } from "./tickers/alerts.js";
import { startOfflineSweeper } from "./tickers/offline-sweeper.js";
import { startSchedulers } from "./tickers/scheduler.js";
import { SERVER_VERSION } from "./version.js";

export interface RunningServer {
  app: FastifyInstance;
  /** The public URL (RM_PUBLIC_URL, or the listen address when unset). */
  url: string;
  /** Where the socket actually listens, e.g. http://127.0.0.1:41234. */
  listenUrl: string;
  /** Present while no admin exists: the one-time first-run link. */
  setupUrl: string | null;
  core: ReturnType<typeof createCore>;
  gateway: AgentGateway;
  /** The live job page's event streams (GET /api/jobs/:id/stream). */
  jobStreams: JobStreamHub;
  close(): Promise<void>;
}

/** Knobs tests turn to make time pass faster; production uses the protocol's defaults. */
export interface StartOptions {
  gateway?: Pick<
    GatewayOptions,
    "heartbeatIntervalSeconds" | "helloTimeoutMs" | "maxPendingUpgradesPerAddress" | "logIntervalMs"
  >;
  offlineAfterMs?: number;
  jobLeaseMs?: number;
  /** Scheduler loop periods (tests shorten them). */
  tickers?: { scheduleMs?: number; maintenanceMs?: number; alertsMs?: number };
}

export async function startServer(
  config: ServerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const handle = await openDatabase({ url: config.databaseUrl });
  try {
    await migrateDatabase(handle.db, config.migrationsDir);
    const { box, created } = await loadSecretBox(handle.db, config.secretKeyFile);
    if (created)
      logger.warn({ file: config.secretKeyFile }, "generated a new secret key; back it up with the database");

    const core = createCore({
      db: handle.db,
      secrets: box,
      auth: {
        sessionIdleMs: config.sessionIdleHours * 3_600_000,
        sessionAbsoluteMs: config.sessionMaxDays * 86_400_000,
      },
    });
    // No socket exists yet: hosts that were online reconnect and say hello again.
    await core.hosts.markAllOffline();
    const runtime = { publicUrl: config.publicUrl, ready: false };
    const jobStreams = new JobStreamHub(core);
    const app = await buildHttpServer({
      config,
      core,
      logger,
      runtime,
      jobStreams,
      version: SERVER_VERSION,
      storage: handle.health,
    });
    const gateway = new AgentGateway({
      core,
      logger,
      serverVersion: SERVER_VERSION,
      maxPendingUpgradesPerAddress: config.agentUpgradesPerAddress,
      ...options.gateway,
    });
    gateway.attach(app.server);
    const sweeper = startOfflineSweeper(core, logger, options.offlineAfterMs, options.jobLeaseMs);
    const schedulers = startSchedulers(core, logger, options.tickers);
    const alertsTicker = startAlertsTicker(core, logger, options.tickers?.alertsMs);
    await app.listen({ host: config.host, port: config.port });

    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    if (!config.publicUrlExplicit && config.port === 0) runtime.publicUrl = config.publicUrl.replace(/:0$/, `:${port}`);
    runtime.ready = true;

    const setupToken = await core.auth.prepareSetup();
    const setupUrl = setupToken ? `${runtime.publicUrl}/setup?token=${encodeURIComponent(setupToken)}` : null;
    logger.info(
      { url: runtime.publicUrl, version: SERVER_VERSION, dataDir: config.dataDir },
      "restic-manager is listening",
    );
    if (setupUrl) logger.info({ setupUrl }, `first run: create the admin account at ${setupUrl}`);

    let closing: Promise<void> | undefined;
    return {
      app,
      url: runtime.publicUrl,
      listenUrl: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
      setupUrl,
      core,
      gateway,
      jobStreams,
      close: () => {
        closing ??= (async () => {
          runtime.ready = false;
          sweeper.stop();
          schedulers.stop();
          await gateway.close();
          await alertsTicker.stop();
          core.sessions.close();
          jobStreams.close();
          await app.close();
          await core.auth.deferred.flush().catch(() => 0);
          core.auth.deferred.close();
          handle.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    handle.close();
    throw e;
  }
}
