/**
 * deploy/: install.sh passes shellcheck and really installs (under RM_INSTALL_ROOT, against a
 * fake server serving a freshly compiled agent), the systemd unit passes systemd-analyze verify,
 * and the unit embedded in install.sh is the one in deploy/.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildAgent, hostTarget } from "../scripts/build.js";
import { loadConfig } from "../src/config.js";
import { tempDir } from "./helpers/config.js";
import { type FakeServer, startFakeServer, tlsFixture } from "./helpers/fake-server.js";

const deployDir = resolve(import.meta.dirname, "..", "..", "..", "deploy");
const installSh = readFileSync(join(deployDir, "install.sh"), "utf8");
const unitFile = readFileSync(join(deployDir, "restic-manager-agent.service"), "utf8");

/** Tools the deploy checks need; a missing one fails with the command that installs it. */
function requireTool(name: string, apt: string) {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "pipe" });
  } catch {
    throw new Error(`${name} is needed by this test: apt-get install -y ${apt}`);
  }
}

describe("systemd unit", () => {
  it("is embedded verbatim in install.sh", () => {
    const embedded = /<<'UNIT_EOF'\n([\s\S]*?)UNIT_EOF\n/.exec(installSh)?.[1];
    expect(embedded).toBe(unitFile);
  });

  it("passes systemd-analyze verify without a warning", () => {
    requireTool("systemd-analyze", "systemd");
    const tmp = tempDir();
    try {
      // verify insists that ExecStart exists; point it at a real executable, keep the rest verbatim.
      const unit = join(tmp.dir, "restic-manager-agent.service");
      writeFileSync(unit, unitFile.replace("/usr/local/bin/restic-manager-agent", "/bin/true"));
      const output = execFileSync("systemd-analyze", ["verify", unit], { stdio: "pipe", encoding: "utf8" });
      expect(output).toBe("");
    } finally {
      tmp.cleanup();
    }
  });

  it("is hardened, without MemoryDenyWriteExecute (Bun's JIT needs W+X pages)", () => {
    for (const line of [
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/restic-manager /etc/restic-manager",
      "ProtectHome=read-only",
      "PrivateTmp=yes",
      "ProtectKernelTunables=yes",
      "ProtectKernelModules=yes",
      "RestrictSUIDSGID=yes",
      "RestartPreventExitStatus=3 4",
    ]) {
      expect(unitFile.split("\n")).toContain(line);
    }
    expect(unitFile).not.toMatch(/^MemoryDenyWriteExecute=/m);
  });
});

describe("install.ps1", () => {
  const installPs1 = readFileSync(join(deployDir, "install.ps1"), "utf8");

  it("has exactly one placeholder, which the server replaces verbatim", () => {
    expect(installPs1.split("__SERVER_URL__")).toHaveLength(2);
    expect(installPs1).toContain("$DefaultServer = '__SERVER_URL__'");
  });

  it("throws instead of exiting, so `irm | iex` never closes the operator's window", () => {
    expect(installPs1).not.toMatch(/^\s*exit\b/m);
  });

  it("downloads the Windows build, verifies it, and passes the token through the environment", () => {
    expect(installPs1).toContain('"$Server/agent/binary.sha256?$query"');
    expect(installPs1).toContain("Get-FileHash -Algorithm SHA256");
    expect(installPs1).toContain("$env:RM_TOKEN = $Token");
    expect(installPs1).not.toMatch(/--token/);
  });
});

describe("install.sh", () => {
  it("has exactly one placeholder, which the server replaces verbatim", () => {
    expect(installSh.split("__SERVER_URL__")).toHaveLength(2);
    expect(installSh).toMatch(/^SERVER_URL="\$\{RM_SERVER:-__SERVER_URL__\}"$/m);
  });

  it("passes shellcheck", () => {
    requireTool("shellcheck", "shellcheck");
    execFileSync("shellcheck", ["-s", "sh", join(deployDir, "install.sh")], { stdio: "pipe" });
  });

  let build: ReturnType<typeof tempDir>;
  let binary: Buffer;
  let tmp: ReturnType<typeof tempDir> | null = null;
  let server: FakeServer | null = null;

  beforeAll(async () => {
    const target = hostTarget();
    if (!target) throw new Error(`no agent target for ${process.platform}-${process.arch}`);
    build = tempDir("rm-agent-build-");
    const result = await buildAgent({ target, outdir: build.dir, version: "0.1.0-install-test" });
    binary = readFileSync(result.path);
  }, 180_000);
  afterAll(() => build?.cleanup());
  afterEach(async () => {
    await server?.close();
    server = null;
    tmp?.cleanup();
    tmp = null;
  });

  const arch = process.arch;
  async function serveAgent(options: { tls?: boolean; sha256?: string } = {}) {
    const sha = options.sha256 ?? createHash("sha256").update(binary).digest("hex");
    server = await startFakeServer({
      tls: options.tls,
      onEnroll: () => ({ status: 201, body: { hostId: "01JINSTALLED", agentToken: "rmat_installed" } }),
      onGet: (url) => {
        if (url.searchParams.get("os") !== "linux" || url.searchParams.get("arch") !== arch) return null;
        if (url.pathname === "/agent/binary") return { status: 200, body: binary };
        if (url.pathname === "/agent/binary.sha256") return { status: 200, body: `${sha}  restic-manager-agent\n` };
        return null;
      },
    });
    return server;
  }

  /** Renders install.sh the way the server serves it, and runs it under a fake root. */
  function runInstall(
    serverUrl: string,
    env: Record<string, string>,
    args: string[] = [],
    prepare?: (root: string) => void,
  ) {
    tmp = tempDir();
    const root = join(tmp.dir, "root");
    prepare?.(root);
    const script = join(tmp.dir, "install.sh");
    writeFileSync(script, installSh.replaceAll("__SERVER_URL__", serverUrl));
    return new Promise<{ code: number; stdout: string; stderr: string; root: string }>((done) => {
      execFile(
        "sh",
        [script, ...args],
        { env: { PATH: process.env.PATH, RM_INSTALL_ROOT: root, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, root }),
      );
    });
  }

  function plantSchedules(root: string) {
    const files: Record<string, string> = {
      "etc/cron.d/restic-nightly": "30 2 * * * root restic -r /srv/restic backup /home\n",
      "etc/cron.d/unrelated": "0 * * * * root /usr/bin/true\n",
      "etc/cron.daily/restic-prune": "#!/bin/sh\nrestic forget --keep-daily 7 --prune\n",
      "etc/crontab": "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n0 4 * * 0 root restic check\n",
      "var/spool/cron/crontabs/alice": "# m h dom mon dow command\n15 3 * * * restic backup ~/docs\n",
    };
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(join(root, rel, ".."), { recursive: true });
      writeFileSync(join(root, rel), content);
    }
    chmodSync(join(root, "etc/cron.daily/restic-prune"), 0o755);
    return files;
  }

  it("downloads, verifies, enrols and installs; lists restic schedules and disables none", async () => {
    const server = await serveAgent();
    let planted: Record<string, string> = {};
    const result = await runInstall(server.url, { RM_TOKEN: "rmet_install" }, [], (root) => {
      planted = plantSchedules(root);
    });
    const rootDir = result.root;
    expect(result.stderr).toMatch(/^(warning: restic is not installed.*\n)?$/);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Verified agent 0.1.0-install-test (sha256 `);
    expect(result.stdout).toContain("Enrolled as host 01JINSTALLED");

    const bin = join(rootDir, "usr/local/bin/restic-manager-agent");
    expect(readFileSync(bin).equals(binary)).toBe(true);
    expect(statSync(bin).mode & 0o777).toBe(0o755);
    const config = loadConfig(join(rootDir, "etc/restic-manager/agent.yaml"));
    expect(config).toMatchObject({ serverUrl: server.url, hostId: "01JINSTALLED", agentToken: "rmat_installed" });
    expect(statSync(join(rootDir, "etc/restic-manager")).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(rootDir, "etc/systemd/system/restic-manager-agent.service"), "utf8")).toBe(unitFile);
    expect(server.enrollBodies).toEqual([expect.objectContaining({ token: "rmet_install" })]);

    // Every restic schedule is listed with its disable command...
    expect(result.stdout).toContain("cron file /etc/cron.d/restic-nightly");
    expect(result.stdout).toContain(
      "disable: mkdir -p /root/disabled-cron && mv /etc/cron.d/restic-nightly /root/disabled-cron/restic-nightly",
    );
    expect(result.stdout).toContain("cron.daily script /etc/cron.daily/restic-prune");
    expect(result.stdout).toContain("disable: chmod -x /etc/cron.daily/restic-prune");
    expect(result.stdout).toContain("2:0 4 * * 0 root restic check");
    expect(result.stdout).toContain("crontab of user alice");
    expect(result.stdout).toContain(
      "disable: crontab -u alice -l | sed '/restic/s/^/# disabled: /' | crontab -u alice -",
    );
    expect(result.stdout).not.toContain("unrelated");
    // ...and left exactly as it was.
    for (const [rel, content] of Object.entries(planted)) {
      expect(readFileSync(join(rootDir, rel), "utf8")).toBe(content);
    }
    expect(statSync(join(rootDir, "etc/cron.daily/restic-prune")).mode & 0o111).not.toBe(0);
  });

  it("refuses a binary whose checksum does not match, installing nothing", async () => {
    const server = await serveAgent({ sha256: "0".repeat(64) });
    const result = await runInstall(server.url, { RM_TOKEN: "rmet_install" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/checksum mismatch for the agent binary .*not installing it/);
    expect(existsSync(join(result.root, "usr/local/bin/restic-manager-agent"))).toBe(false);
    expect(server.enrollBodies).toEqual([]);
  });

  it("needs a token for a host that is not enrolled yet", async () => {
    const server = await serveAgent();
    const result = await runInstall(server.url, {});
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no enrolment token: create one on the server under Hosts -> Add host/);
    expect(server.requests).toEqual([]);
  });

  it("refuses to run unfilled, without a server URL", async () => {
    tmp = tempDir();
    const script = join(tmp.dir, "install.sh");
    writeFileSync(script, installSh);
    const result = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile("sh", [script], { env: { PATH: process.env.PATH, RM_TOKEN: "t" } }, (error, _o, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stderr }),
      ),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no server URL: download this script from your restic-manager server/);
  });

  it("with --tls-pin, downloads and enrols only from the pinned server", async () => {
    requireTool("openssl", "openssl");
    requireTool("curl", "curl");
    const server = await serveAgent({ tls: true });

    const wrong = await runInstall(server.url, { RM_TOKEN: "rmet_pinned" }, ["--tls-pin", "ab".repeat(32)]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/TLS pin mismatch: 127\.0\.0\.1:\d+ presented a certificate with SHA-256 f1747473/);
    expect(server.requests).toEqual([]);
    tmp?.cleanup();

    const pin = tlsFixture.sha256.toUpperCase().match(/../g)!.join(":");
    const ok = await runInstall(server.url, { RM_TOKEN: "rmet_pinned", RM_TLS_PIN: pin });
    expect(ok.stderr).toMatch(/^(warning: restic is not installed.*\n)?$/);
    expect(ok.code).toBe(0);
    expect(server.requests.map((r) => r.path)).toEqual([
      `/agent/binary.sha256?os=linux&arch=${arch}`,
      `/agent/binary?os=linux&arch=${arch}`,
      "/api/agents/enroll",
    ]);
    expect(loadConfig(join(ok.root, "etc/restic-manager/agent.yaml")).tlsPinSha256).toBe(tlsFixture.sha256);
  });
});
