import pino, { type DestinationStream, type Logger } from "pino";
import type { ServerConfig } from "./config.js";

/**
 * Structured JSON logs on stdout; human-readable when RM_LOG_PRETTY is on (`npm run dev`).
 * Anything that could carry a credential is redacted by path as a second line of defence:
 * the first is that secrets are never passed to the logger at all.
 */
export function createLogger(
  config: Pick<ServerConfig, "logLevel" | "logPretty">,
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: "restic-manager" },
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "req.headers.authorization",
        "req.headers.cookie",
        'res.headers["set-cookie"]',
      ],
      censor: "[redacted]",
    },
    transport: config.logPretty
      ? { target: "pino-pretty", options: { colorize: true, translateTime: "HH:MM:ss", ignore: "service" } }
      : undefined,
  };
  return destination ? pino(options, destination) : pino(options);
}
