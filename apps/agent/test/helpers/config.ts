import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentConfig, saveConfig } from "../../src/config.js";
import { newSecretsKey } from "../../src/secrets.js";

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = "rm-agent-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(dir: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    serverUrl: "http://127.0.0.1:9",
    hostId: "host-1",
    agentToken: "agent-token-for-tests",
    secretsKey: newSecretsKey(),
    secretsFile: join(dir, "secrets.enc"),
    spoolDir: join(dir, "spool"),
    resticPath: null,
    tlsPinSha256: null,
    ...overrides,
  };
}

export function writeTestConfig(dir: string, overrides: Partial<AgentConfig> = {}) {
  const path = join(dir, "agent.yaml");
  const config = testConfig(dir, overrides);
  saveConfig(path, config);
  return { path, config };
}
