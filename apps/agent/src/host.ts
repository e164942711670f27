import { hostname } from "node:os";
import type { AgentOs } from "@restic-manager/protocol";

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
