import { existsSync, rmSync } from "node:fs";
import { ENROLL_PATH, type EnrollResponse, ZEnrollError, ZEnrollResponse } from "@restic-manager/protocol";
import { type AgentConfig, dataPathsFor, loadConfig, saveConfig, ZAgentConfig, ZTlsPin } from "./config.js";
import { collectHostFacts } from "./host.js";
import { postJson } from "./http.js";
import { newSecretsKey } from "./secrets.js";
import { agentVersion } from "./version.js";

export interface EnrollOptions {
  serverUrl: string;
  token: string;
  configPath: string;
  tlsPinSha256?: string | null;
  resticPath?: string | null;
  /** Replace an existing enrolment. */
  force?: boolean;
  timeoutMs?: number;
}

/** An enrolment failure; `message` is what the operator reads (the server's own words when it sent some). */
export class EnrollError extends Error {
  constructor(
    message: string,
    readonly code: string = "enroll_failed",
  ) {
    super(message);
    this.name = "EnrollError";
  }
}

/** Exchanges a one-time enrolment token for this host's agent token and writes the agent config. */
export async function enroll(options: EnrollOptions): Promise<{ config: AgentConfig; response: EnrollResponse }> {
  const serverUrl = ZAgentConfig.shape.serverUrl.safeParse(options.serverUrl);
  if (!serverUrl.success) {
    throw new EnrollError(`--server ${serverUrl.error.issues[0]?.message ?? "is invalid"}`, "invalid_server_url");
  }
  let tlsPinSha256: string | null = null;
  if (options.tlsPinSha256) {
    const pin = ZTlsPin.safeParse(options.tlsPinSha256);
    if (!pin.success) throw new EnrollError(`--tls-pin ${pin.error.issues[0]?.message}`, "invalid_tls_pin");
    tlsPinSha256 = pin.data;
  }
  const token = options.token.trim();
  if (!token) {
    throw new EnrollError(
      "the enrolment token is empty: pass --token TOKEN or set RM_TOKEN (create one on the server under Hosts -> Add host)",
      "token_empty",
    );
  }
  let previous: AgentConfig | null = null;
  if (existsSync(options.configPath)) {
    try {
      previous = loadConfig(options.configPath);
    } catch {
      // An unreadable config is replaced only with --force, like a valid one.
    }
    if (!options.force) {
      throw new EnrollError(
        `this machine is already enrolled${previous ? ` as host ${previous.hostId}` : ""} (${options.configPath}). Pass --force to replace that enrolment.`,
        "already_enrolled",
      );
    }
  }

  const facts = collectHostFacts();
  const url = new URL(`${serverUrl.data}${ENROLL_PATH}`);
  let answer: Awaited<ReturnType<typeof postJson>>;
  try {
    answer = await postJson(
      url,
      { token, hostname: facts.hostname, os: facts.os, arch: facts.arch, agentVersion },
      { tlsPinSha256, timeoutMs: options.timeoutMs },
    );
  } catch (error) {
    throw new EnrollError(`cannot reach ${url.origin}: ${(error as Error).message}`, "unreachable");
  }

  const json = safeJson(answer.body);
  if (answer.status < 200 || answer.status >= 300) {
    const serverError = ZEnrollError.safeParse(json);
    if (serverError.success) throw new EnrollError(serverError.data.error.message, serverError.data.error.code);
    const snippet = answer.body.replace(/\s+/g, " ").trim().slice(0, 200);
    throw new EnrollError(
      `the server answered HTTP ${answer.status}${snippet ? `: ${snippet}` : ""}. Is ${serverUrl.data} the restic-manager server (not a proxy error page)?`,
      `http_${answer.status}`,
    );
  }
  const response = ZEnrollResponse.safeParse(json);
  if (!response.success) {
    throw new EnrollError(
      `the server answered HTTP ${answer.status} without a host id and agent token; is ${serverUrl.data} a restic-manager server of a matching version?`,
      "bad_response",
    );
  }

  const paths = dataPathsFor(options.configPath);
  const config: AgentConfig = {
    serverUrl: serverUrl.data,
    hostId: response.data.hostId,
    agentToken: response.data.agentToken,
    secretsKey: newSecretsKey(),
    secretsFile: previous?.secretsFile ?? paths.secretsFile,
    spoolDir: previous?.spoolDir ?? paths.spoolDir,
    resticPath: options.resticPath ?? previous?.resticPath ?? null,
    // An operator-given pin wins; a server-supplied one (normally null) is kept only when well-formed.
    tlsPinSha256:
      tlsPinSha256 ??
      ZTlsPin.nullable()
        .catch(null)
        .parse(response.data.tlsPinSha256 ?? null),
  };
  // The old secrets file was sealed with the old key and the old host id: it cannot be opened any more.
  if (previous) rmSync(previous.secretsFile, { force: true });
  saveConfig(options.configPath, config);
  return { config, response: response.data };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
