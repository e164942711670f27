/** The server process: read config, start, print how to sign in, stop cleanly on signals. */
import { SecretKeyMismatchError } from "@restic-manager/core";
import { startServer } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`restic-manager: invalid configuration: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config);

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, logger);
  } catch (e) {
    if (e instanceof SecretKeyMismatchError) {
      logger.fatal(e.message);
      process.stderr.write(`\nrestic-manager cannot start: ${e.message}\n`);
      process.exit(3);
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") {
      logger.fatal(`${config.host}:${config.port} is already in use. Stop the other process or set RM_LISTEN.`);
      process.exit(4);
    }
    logger.fatal({ err: e }, "failed to start");
    process.exit(1);
  }

  const banner = server.setupUrl
    ? `\n  restic-manager is running at ${server.url}\n\n  First run: open this link to create the admin account (it works once, and changes at each restart until used):\n\n    ${server.setupUrl}\n\n`
    : `\n  restic-manager is running at ${server.url}\n  Sign in with your admin account.\n\n`;
  process.stderr.write(banner);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    server
      .close()
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, "error while shutting down");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

void main();
