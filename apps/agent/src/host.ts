import { hostname } from "node:os";
import { type AgentOs, ZTimeZone } from "@restic-manager/protocol";

/** Host facts reported in `hello` and the enrolment request. */
export interface HostFacts {
  hostname: string;
  os: AgentOs;
  arch: string;
}

const OS_BY_PLATFORM: Partial<Record<NodeJS.Platform, AgentOs>> = {
  linux: "linux",
  win32: "windows",
  darwin: "darwin",
  freebsd: "freebsd",
  openbsd: "openbsd",
  netbsd: "netbsd",
};

export function collectHostFacts(): HostFacts {
  const name = hostname().trim().slice(0, 255) || "unknown-host";
  return {
    hostname: name,
    os: OS_BY_PLATFORM[process.platform] ?? "other",
    arch: process.arch.toLowerCase().replace(/[^a-z0-9_]/g, "_"),
  };
}

/**
 * The host's IANA time zone, reported in `hello`; the server arms schedules in it by default.
 * "UTC" when the runtime reports none, or one this runtime or the protocol would refuse.
 */
export function hostTimeZone(
  resolve: () => string | undefined = () => Intl.DateTimeFormat().resolvedOptions().timeZone,
): string {
  let zone: string | undefined;
  try {
    zone = resolve();
    if (!zone || !ZTimeZone.safeParse(zone).success) return "UTC";
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone;
  } catch {
    return "UTC";
  }
}
