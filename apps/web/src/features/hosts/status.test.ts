import { describe, expect, it } from "vitest";
import { displayStatus, phaseOf, platformOf, resticProblem } from "./status";

const seen = new Date(0);

describe("displayStatus", () => {
  it("shows an enrolled host that never connected as pending", () => {
    expect(displayStatus({ status: "offline", lastSeenAt: null })).toBe("pending");
    expect(displayStatus({ status: "offline", lastSeenAt: seen })).toBe("offline");
    expect(displayStatus({ status: "online", lastSeenAt: seen })).toBe("online");
    expect(displayStatus({ status: "revoked", lastSeenAt: null })).toBe("revoked");
  });
});

describe("resticProblem", () => {
  it("names the agent's restic error in two words", () => {
    expect(resticProblem(null, "restic not found on PATH; install restic")).toBe("restic missing");
    expect(resticProblem(null, "resticPath /x from the agent config is not an executable file")).toBe("restic missing");
    expect(resticProblem("0.9.6", "restic 0.9.6 is too old; restic-manager needs 0.14.0 or newer")).toBe(
      "restic too old",
    );
    expect(resticProblem(null, "`/usr/bin/restic version` failed: boom")).toBe("restic unusable");
  });
});

describe("platformOf", () => {
  it("joins what the agent reported", () => {
    expect(platformOf({ os: "linux", arch: "x64" })).toBe("linux / x64");
    expect(platformOf({ os: "windows", arch: null })).toBe("windows");
    expect(platformOf({ os: null, arch: null })).toBeNull();
  });
});

describe("phaseOf", () => {
  const base = {
    id: "t",
    hostname: "web-01",
    expiresAt: new Date(10_000),
    consumedAt: null,
    hostId: null,
    hostStatus: null,
    expired: false,
  };
  it("follows the token from waiting to connected", () => {
    expect(phaseOf(undefined, 10_000, 0)).toBe("waiting");
    expect(phaseOf(base, 10_000, 0)).toBe("waiting");
    const consumed = { ...base, consumedAt: new Date(1), hostId: "h", hostStatus: "offline" as const };
    expect(phaseOf(consumed, 10_000, 0)).toBe("enrolled");
    expect(phaseOf({ ...consumed, hostStatus: "online" }, 10_000, 0)).toBe("connected");
    expect(phaseOf({ ...consumed, hostStatus: "revoked" }, 10_000, 0)).toBe("revoked");
  });
  it("expires by the server's word or the local clock, never once used", () => {
    expect(phaseOf({ ...base, expired: true }, 10_000, 0)).toBe("expired");
    expect(phaseOf(base, 10_000, 10_000)).toBe("expired");
    expect(phaseOf(undefined, 10_000, 20_000)).toBe("expired");
    const consumed = { ...base, consumedAt: new Date(1), hostId: "h", hostStatus: "offline" as const };
    expect(phaseOf(consumed, 10_000, 20_000)).toBe("enrolled");
  });
});
