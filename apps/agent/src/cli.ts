import { parseArgs } from "node:util";
import { createAgent } from "./agent.js";
import { ConfigError, isWorldReadable, loadConfig, resolveConfigPath } from "./config.js";
import { EXIT_CODES } from "./connection.js";
import { EnrollError, enroll } from "./enroll.js";
import { createLogger } from "./log.js";
import { statusReport } from "./status.js";
import { agentVersion } from "./version.js";

const HELP = `restic-manager-agent ${agentVersion}: runs restic backups for a restic-manager server.

Usage:
  restic-manager-agent enroll --server URL [--token TOKEN] [--tls-pin SHA256] [--restic PATH] [--force]
  restic-manager-agent run
  restic-manager-agent status
  restic-manager-agent version

Commands:
  enroll   Exchange a one-time enrolment token (Hosts -> Add host on the server) for this host's
           credentials and write the agent config. The token may also come from RM_TOKEN, which
           keeps it out of the process list.
  run      Connect to the server and serve until SIGTERM or SIGINT.
  status   Show the config path, server, host id, restic and secrets-file state (never secrets),
           and the armed schedules with their next fire.
  version  Print the agent version.

Options:
  --config PATH     Agent config (default: RM_AGENT_CONFIG, else ${resolveConfigPath(undefined, {})}).
                    With a config outside the default, the secrets file and spool live beside it.
  --server URL      Server base URL, e.g. https://backup.example.com (enroll).
  --token TOKEN     One-time enrolment token (enroll; or RM_TOKEN).
  --tls-pin SHA256  SHA-256 of the server's TLS leaf certificate; replaces CA validation (enroll;
                    or RM_TLS_PIN). Get it with:
                    openssl s_client -connect HOST:443 </dev/null | openssl x509 -outform der | sha256sum
  --restic PATH     Use this restic binary instead of the one on PATH (enroll).
  --force           Replace an existing enrolment (enroll).
  -h, --help        Show this help.

Environment:
  RM_AGENT_LOG_LEVEL=debug|info|warn|error, RM_AGENT_LOG_FORMAT=text|json (logs go to stderr).

Exit codes: 0 ok, 1 error, 2 usage, 3 token refused or host revoked, 4 agent protocol too old.
`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun restic-manager-agent --help for usage.\n`);
    return EXIT_CODES.USAGE;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? (values.help ? "help" : undefined);
  if (values.help || command === "help" || command === undefined) {
    process.stdout.write(HELP);
    return command === undefined && !values.help ? EXIT_CODES.USAGE : EXIT_CODES.OK;
  }
  if (positionals.length > 1) {
    process.stderr.write(`unexpected argument "${positionals[1]}"\nRun restic-manager-agent --help for usage.\n`);
    return EXIT_CODES.USAGE;
  }
  const configPath = resolveConfigPath(values.config);

  try {
    switch (command) {
      case "version":
        process.stdout.write(`${agentVersion}\n`);
        return EXIT_CODES.OK;
      case "status":
        process.stdout.write(`${await statusReport(configPath)}\n`);
        return EXIT_CODES.OK;
      case "enroll":
        return await enrollCommand(values, configPath);
      case "run":
        return await runCommand(configPath);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun restic-manager-agent --help for usage.\n`);
      return EXIT_CODES.USAGE;
    }
    if (error instanceof ConfigError || error instanceof EnrollError) {
      process.stderr.write(`${error instanceof EnrollError ? "enrolment failed: " : ""}${error.message}\n`);
      return EXIT_CODES.ERROR;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return EXIT_CODES.ERROR;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      "tls-pin": { type: "string" },
      restic: { type: "string" },
      force: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

async function enrollCommand(values: ReturnType<typeof parse>["values"], configPath: string): Promise<number> {
  if (!values.server) throw new UsageError("enroll needs --server URL");
  const token = values.token ?? process.env.RM_TOKEN ?? "";
  const { config } = await enroll({
    serverUrl: values.server,
    token,
    configPath,
    tlsPinSha256: values["tls-pin"] ?? process.env.RM_TLS_PIN ?? null,
    resticPath: values.restic ?? null,
    force: values.force ?? false,
  });
  process.stdout.write(
    [
      `Enrolled as host ${config.hostId} with ${config.serverUrl}.`,
      `Config written to ${configPath} (mode 0600).`,
      "",
      "Next:",
      process.platform === "win32"
        ? "  start the service: Start-Service restic-manager-agent (install.ps1 registers it)"
        : "  start the service: systemctl enable --now restic-manager-agent (install.sh does this)",
      `  or run it in the foreground: restic-manager-agent run${configPath === resolveConfigPath(undefined, {}) ? "" : ` --config ${configPath}`}`,
      "  The host turns online in the server's Hosts list once the agent connects.",
      "",
    ].join("\n"),
  );
  return EXIT_CODES.OK;
}

async function runCommand(configPath: string): Promise<number> {
  const log = createLogger("agent");
  const config = loadConfig(configPath);
  if (isWorldReadable(configPath)) {
    log.warn(`${configPath} is readable by group or others; it holds this host's token: chmod 600 ${configPath}`);
  }
  log.info(`restic-manager-agent ${agentVersion} starting, host ${config.hostId}, config ${configPath}`);
  const agent = createAgent({ config, log });

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping`);
    void agent.stop();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  const outcome = await agent.run();
  process.off("SIGTERM", onSignal);
  process.off("SIGINT", onSignal);
  if (outcome.kind === "fatal") {
    process.stderr.write(`${outcome.message}\n`);
    return outcome.exitCode;
  }
  log.info("stopped");
  return EXIT_CODES.OK;
}
