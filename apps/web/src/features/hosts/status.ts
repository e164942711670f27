import type { EnrollmentStatus, HostStatus } from "./types";

/**
 * What to show for a host. The server marks a freshly enrolled host offline; until its agent
 * has connected once it is "pending" here (amber), which is what the operator is waiting for.
 */
export function displayStatus(host: { status: HostStatus; lastSeenAt: Date | null }): HostStatus {
  return host.status === "offline" && host.lastSeenAt === null ? "pending" : host.status;
}

/**
 * The agent's restic problem in two words for a table cell; the whole sentence is in the title
 * and on the host page.
 */
export function resticProblem(version: string | null, error: string): string {
  if (/not found|not an executable/i.test(error)) return "restic missing";
  if (/too old/i.test(error)) return "restic too old";
  return version ? `restic ${version} unusable` : "restic unusable";
}

/** "linux / x64"; null before the agent has reported it. */
export function platformOf(host: { os: string | null; arch: string | null }): string | null {
  if (!host.os && !host.arch) return null;
  return [host.os, host.arch].filter(Boolean).join(" / ");
}

/** Where the Add host page's "awaiting agent" panel stands. */
export type Phase = "waiting" | "enrolled" | "connected" | "revoked" | "expired";

export function phaseOf(status: EnrollmentStatus | undefined, expiresAt: number, now: number): Phase {
  if (status?.hostStatus === "online") return "connected";
  if (status?.hostStatus === "revoked") return "revoked";
  if (status?.consumedAt) return "enrolled";
  // The server re-checks expiry only on events; the local clock flips the panel on time.
  if (status?.expired || expiresAt <= now) return "expired";
  return "waiting";
}
