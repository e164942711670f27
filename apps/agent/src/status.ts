import { statSync } from "node:fs";
import { loadConfig } from "./config.js";
import { locateRestic } from "./restic/locate.js";
import { SecretsStore } from "./secrets.js";
import { agentVersion } from "./version.js";

/** The `status` report: where things are and whether they work, never a secret's content. */
export async function statusReport(configPath: string): Promise<string> {
  const lines: [string, string][] = [
    ["agent", agentVersion],
    ["config", configPath],
  ];
  const config = loadConfig(configPath);
  lines.push(
    ["server", config.serverUrl],
    ["host id", config.hostId],
    ["tls pin", config.tlsPinSha256 ? `sha256 ${config.tlsPinSha256}` : "none (CA validation)"],
  );

  const restic = await locateRestic({ configuredPath: config.resticPath ?? null });
  lines.push(["restic", restic.error ? `NOT USABLE: ${restic.error}` : `${restic.version} at ${restic.path}`]);

  const store = new SecretsStore(config.secretsFile, config.secretsKey, config.hostId);
  let secrets: string;
  if (!store.exists()) {
    secrets = `${config.secretsFile}: missing (the server sends the repository credentials on the first connection)`;
  } else {
    const mode =
      process.platform === "win32"
        ? ""
        : `, mode ${(statSync(config.secretsFile).mode & 0o777).toString(8).padStart(4, "0")}`;
    try {
      const stored = store.read();
      secrets = `${config.secretsFile}: present${mode}, opens with the configured key (config version ${stored?.version})`;
    } catch (error) {
      secrets = `${config.secretsFile}: present${mode}, UNREADABLE: ${(error as Error).message}`;
    }
  }
  lines.push(["secrets", secrets], ["spool", config.spoolDir]);

  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join("\n");
}
