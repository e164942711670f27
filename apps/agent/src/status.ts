import { statSync } from "node:fs";
import { stateDirFor } from "./agent.js";
import { loadConfig } from "./config.js";
import { locateRestic } from "./restic/locate.js";
import { loadScheduleSet, scheduleOutlook, schedulesFileFor } from "./scheduler.js";
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
  lines.push(...scheduleLines(schedulesFileFor(stateDirFor(config))));

  const width = Math.max(...lines.map(([k]) => k.length)) + 1;
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join("\n");
}

/**
 * The stored schedule set, which the running agent armed (it stores each set before arming it,
 * and re-arms the stored one on start): its version and each schedule's next fire.
 */
function scheduleLines(path: string, now = new Date()): [string, string][] {
  let set: ReturnType<typeof loadScheduleSet>;
  try {
    set = loadScheduleSet(path);
  } catch (error) {
    return [["schedules", `UNREADABLE: ${(error as Error).message} (the console sends them again on connect)`]];
  }
  if (!set) return [["schedules", `${path}: none yet (the console sends them on connect)`]];
  const outlook = scheduleOutlook(set, now);
  const armed = outlook.filter((s) => s.next !== null).length;
  const lines: [string, string][] = [
    ["schedules", `${path}: version ${set.version}, time zone ${set.timezone}, ${armed} of ${outlook.length} armed`],
  ];
  for (const s of outlook) {
    const state = !s.enabled
      ? "disabled"
      : s.error
        ? `NOT ARMED: ${s.error}`
        : `next ${formatInZone(s.next as number, set.timezone)} (${new Date(s.next as number).toISOString()})`;
    lines.push(["schedule", `${s.scheduleId} "${s.cron}": ${state}`]);
  }
  return lines;
}

/** "2025-11-25 02:00:00 Europe/Berlin" */
function formatInZone(at: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(at));
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "??";
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")} ${timezone}`;
}
