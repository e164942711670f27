import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../src/cli.js";
import { loadConfig } from "../src/config.js";
import { EnrollError, enroll } from "../src/enroll.js";
import { tempDir, writeTestConfig } from "./helpers/config.js";
import { type FakeServer, type FakeServerOptions, startFakeServer, tlsFixture } from "./helpers/fake-server.js";

const enrolled = { status: 201, body: { hostId: "01JHOST", agentToken: "rmat_persistent_bearer", tlsPinSha256: null } };
const expired = {
  status: 410,
  body: {
    error: {
      code: "token_expired",
      message: "This enrolment token expired at 18:00 UTC. Create a new one under Hosts -> Add host.",
    },
  },
};

let tmp: ReturnType<typeof tempDir>;
let server: FakeServer | null;
let configPath: string;
beforeEach(() => {
  tmp = tempDir();
  server = null;
  configPath = join(tmp.dir, "agent.yaml");
});
afterEach(async () => {
  await server?.close();
  tmp.cleanup();
  vi.restoreAllMocks();
});

async function serve(onEnroll: FakeServerOptions["onEnroll"], extra: FakeServerOptions = {}) {
  server = await startFakeServer({ onEnroll, ...extra });
  return server;
}

/** Runs the CLI and captures what it printed. */
async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe("enroll", () => {
  it("exchanges the token and writes a 0600 config with a fresh secrets key", async () => {
    const server = await serve(() => enrolled);
    const { config } = await enroll({ serverUrl: `${server.url}/`, token: " rmet_one_time ", configPath });

    expect(server.enrollBodies).toEqual([
      {
        token: "rmet_one_time",
        hostname: expect.any(String),
        os: "linux",
        arch: process.arch,
        agentVersion: "0.0.0-dev",
      },
    ]);
    expect(loadConfig(configPath)).toEqual(config);
    expect(config).toMatchObject({
      serverUrl: server.url,
      hostId: "01JHOST",
      agentToken: "rmat_persistent_bearer",
      secretsFile: join(tmp.dir, "secrets.enc"),
      tlsPinSha256: null,
    });
    expect(Buffer.from(config.secretsKey, "base64")).toHaveLength(32);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    // The one-time token is spent; it is not kept.
    expect(readFileSync(configPath, "utf8")).not.toContain("rmet_one_time");
  });

  it("prints the server's error message verbatim and exits 1", async () => {
    await serve(() => expired);
    const result = await cli(["enroll", "--server", server!.url, "--token", "rmet_old", "--config", configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "enrolment failed: This enrolment token expired at 18:00 UTC. Create a new one under Hosts -> Add host.\n",
    );
    expect(existsSync(configPath)).toBe(false);
  });

  it.each([
    ["token_used", "This enrolment token was already used by host web-01."],
    ["host_revoked", "The host this token belongs to was revoked."],
    ["token_empty", "The enrolment token is empty."],
  ])("surfaces %s from the server", async (code, message) => {
    await serve(() => ({ status: 400, body: { error: { code, message } } }));
    const error = await enroll({ serverUrl: server!.url, token: "t", configPath }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnrollError);
    expect((error as EnrollError).message).toBe(message);
    expect((error as EnrollError).code).toBe(code);
  });

  it("refuses an empty token before contacting the server", async () => {
    await serve(() => enrolled);
    const result = await cli(["enroll", "--server", server!.url, "--config", configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the enrolment token is empty: pass --token TOKEN or set RM_TOKEN/);
    expect(server!.requests).toEqual([]);
  });

  it("takes the token from RM_TOKEN", async () => {
    await serve(() => enrolled);
    vi.stubEnv("RM_TOKEN", "rmet_from_env");
    try {
      const result = await cli(["enroll", "--server", server!.url, "--config", configPath]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain("Enrolled as host 01JHOST");
      expect(result.stdout).toContain(`restic-manager-agent run --config ${configPath}`);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(server!.enrollBodies[0]).toMatchObject({ token: "rmet_from_env" });
  });

  it("explains a non-JSON error page", async () => {
    await serve(() => ({ status: 502, body: "<html>Bad Gateway</html>" }));
    await expect(enroll({ serverUrl: server!.url, token: "t", configPath })).rejects.toThrow(
      /answered HTTP 502: <html>Bad Gateway<\/html>\. Is http:\/\/127\.0\.0\.1:\d+ the restic-manager server/,
    );
  });

  it("explains a 2xx answer without credentials", async () => {
    await serve(() => ({ status: 200, body: { ok: true } }));
    await expect(enroll({ serverUrl: server!.url, token: "t", configPath })).rejects.toThrow(
      /without a host id and agent token/,
    );
  });

  it("explains an unreachable server and a bad URL", async () => {
    await expect(enroll({ serverUrl: "http://127.0.0.1:9", token: "t", configPath })).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/,
    );
    await expect(enroll({ serverUrl: "backup.example.com", token: "t", configPath })).rejects.toThrow(
      /--server must be an http:\/\/ or https:\/\/ URL/,
    );
  });

  it("keeps an existing enrolment unless --force, which also drops the old secrets file", async () => {
    await serve(() => enrolled);
    const { config: old } = writeTestConfig(tmp.dir, { hostId: "old-host" });
    writeFileSync(old.secretsFile, "sealed with the old key");

    const refused = await cli(["enroll", "--server", server!.url, "--token", "t", "--config", configPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already enrolled as host old-host .*Pass --force/);
    expect(server!.requests).toEqual([]);

    const forced = await cli(["enroll", "--server", server!.url, "--token", "t", "--config", configPath, "--force"]);
    expect(forced.code).toBe(0);
    expect(loadConfig(configPath).hostId).toBe("01JHOST");
    expect(loadConfig(configPath).secretsKey).not.toBe(old.secretsKey);
    expect(existsSync(old.secretsFile)).toBe(false);
  });

  it("checks the TLS pin before sending the token", async () => {
    server = await startFakeServer({ tls: true, onEnroll: () => enrolled });
    const mismatch = await enroll({
      serverUrl: server.url,
      token: "rmet_secret",
      configPath,
      tlsPinSha256: "ab".repeat(32),
    }).catch((e: Error) => e);
    expect((mismatch as Error).message).toMatch(/TLS pin mismatch: .*f1747473.*Nothing was sent/);
    expect(server.requests).toEqual([]);

    const pinUpper = tlsFixture.sha256.toUpperCase().match(/../g)!.join(":");
    const { config } = await enroll({
      serverUrl: server.url,
      token: "rmet_secret",
      configPath,
      tlsPinSha256: pinUpper,
    });
    expect(config.tlsPinSha256).toBe(tlsFixture.sha256);
    expect(server.enrollBodies).toHaveLength(1);
  });

  it("rejects a malformed pin", async () => {
    await expect(enroll({ serverUrl: "https://x", token: "t", configPath, tlsPinSha256: "xyz" })).rejects.toThrow(
      /--tls-pin must be the SHA-256/,
    );
  });
});

describe("cli", () => {
  it("prints help and version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/restic-manager-agent enroll --server URL/);
    expect((await cli(["version"])).stdout).toBe("0.0.0-dev\n");
  });

  it("reports usage errors with exit code 2", async () => {
    expect((await cli([])).code).toBe(2);
    const unknown = await cli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect((await cli(["run", "--no-such-flag"])).code).toBe(2);
    expect((await cli(["enroll", "--token", "t"])).stderr).toMatch(/enroll needs --server URL/);
  });

  it("status shows paths and state but never a secret", async () => {
    const { path, config } = writeTestConfig(tmp.dir, { resticPath: "/usr/bin/restic" });
    const { SecretsStore } = await import("../src/secrets.js");
    new SecretsStore(config.secretsFile, config.secretsKey, config.hostId).write(3, {
      url: "rest:https://user:pw-in-url@repo",
      username: null,
      password: "hunter2-password",
    });
    const result = await cli(["status", "--config", path]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`config:    ${path}`);
    expect(result.stdout).toContain("host id:   host-1");
    expect(result.stdout).toMatch(/restic: {4}\d+\.\d+\.\d+ at \/usr\/bin\/restic/);
    expect(result.stdout).toMatch(/secrets: .*present, mode 0600, opens with the configured key \(config version 3\)/);
    for (const secret of ["hunter2-password", "pw-in-url", config.agentToken, config.secretsKey]) {
      expect(result.stdout).not.toContain(secret);
    }
  });

  it("status on a missing config says how to enrol", async () => {
    const result = await cli(["status", "--config", join(tmp.dir, "none.yaml")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no agent config here\. Enrol first/);
  });

  it("run on an invalid config names the field", async () => {
    writeFileSync(configPath, "serverUrl: nope\n");
    const result = await cli(["run", "--config", configPath]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/serverUrl must be an http/);
    expect(result.stderr).toMatch(/hostId is missing/);
  });
});
