import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  ConfigMissingError,
  dataPathsFor,
  defaultPaths,
  loadConfig,
  resolveConfigPath,
  saveConfig,
} from "../src/config.js";
import { writeFileAtomic } from "../src/fs-atomic.js";
import { tempDir, testConfig } from "./helpers/config.js";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const expectConfigError = (path: string, ...fragments: string[]) => {
  let caught: unknown;
  try {
    loadConfig(path);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
};

describe("agent config", () => {
  it("round-trips through YAML", () => {
    const path = join(tmp.dir, "etc", "agent.yaml");
    const config = testConfig(tmp.dir, {
      resticPath: "/usr/bin/restic",
      tlsPinSha256: "f1747473c776edc3470b8a344602518a5fbc505319cace8aeac7503f2f92a6e4",
    });
    saveConfig(path, config);
    expect(loadConfig(path)).toEqual(config);
  });

  it("is written 0600, whatever the umask", () => {
    const previous = process.umask(0);
    try {
      const path = join(tmp.dir, "agent.yaml");
      saveConfig(path, testConfig(tmp.dir));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      saveConfig(path, testConfig(tmp.dir, { hostId: "host-2" }));
      expect(statSync(path).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it("is replaced by rename, leaving no temp file behind", () => {
    const path = join(tmp.dir, "agent.yaml");
    saveConfig(path, testConfig(tmp.dir));
    const before = statSync(path).ino;
    saveConfig(path, testConfig(tmp.dir, { hostId: "host-2" }));
    expect(statSync(path).ino).not.toBe(before);
    expect(loadConfig(path).hostId).toBe("host-2");
    expect(readdirSync(tmp.dir)).toEqual(["agent.yaml"]);
  });

  it("a failed atomic write cleans its temp file and leaves the target alone", () => {
    const target = join(tmp.dir, "occupied");
    mkdirSync(join(target, "child"), { recursive: true });
    expect(() => writeFileAtomic(target, "data")).toThrow();
    expect(readdirSync(tmp.dir)).toEqual(["occupied"]);
    expect(statSync(target).isDirectory()).toBe(true);
  });

  it("explains the secrets key's trust boundary in the file", () => {
    const path = join(tmp.dir, "agent.yaml");
    saveConfig(path, testConfig(tmp.dir));
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(/# AES-256-GCM key of secretsFile\. It sits beside agentToken on purpose/);
    expect(text).toContain("secretsKey:");
  });

  it("normalises the TLS pin (colons, upper case) and the server URL (trailing slash)", () => {
    const path = join(tmp.dir, "agent.yaml");
    const pin = "F1:74:74:73:C7:76:ED:C3:47:0B:8A:34:46:02:51:8A:5F:BC:50:53:19:CA:CE:8A:EA:C7:50:3F:2F:92:A6:E4";
    saveConfig(path, testConfig(tmp.dir, { tlsPinSha256: pin, serverUrl: "https://backup.example.com/rm/" }));
    const loaded = loadConfig(path);
    expect(loaded.tlsPinSha256).toBe("f1747473c776edc3470b8a344602518a5fbc505319cace8aeac7503f2f92a6e4");
    expect(loaded.serverUrl).toBe("https://backup.example.com/rm");
  });

  describe("clear errors that name the field", () => {
    const write = (text: string) => {
      const path = join(tmp.dir, "agent.yaml");
      writeFileSync(path, text);
      return path;
    };
    const valid = () => testConfig(tmp.dir);
    const yamlOf = (o: Record<string, unknown>) =>
      Object.entries(o)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join("\n");

    it("missing file points at enroll", () => {
      const path = join(tmp.dir, "nope.yaml");
      expect(() => loadConfig(path)).toThrow(ConfigMissingError);
      expectConfigError(path, path, "restic-manager-agent enroll --server URL --token TOKEN");
    });

    it("missing field", () => {
      const { serverUrl: _omit, ...rest } = valid();
      expectConfigError(write(yamlOf(rest)), "serverUrl is missing");
    });

    it("bad server URL", () => {
      expectConfigError(
        write(yamlOf({ ...valid(), serverUrl: "ftp://x" })),
        "serverUrl must be an http:// or https:// URL",
      );
      expectConfigError(write(yamlOf({ ...valid(), serverUrl: "https://u:p@x" })), "without credentials");
    });

    it("bad secrets key", () => {
      expectConfigError(write(yamlOf({ ...valid(), secretsKey: "c2hvcnQ=" })), "secretsKey must be 32 random bytes");
    });

    it("bad TLS pin", () => {
      expectConfigError(write(yamlOf({ ...valid(), tlsPinSha256: "abc" })), "tlsPinSha256 must be the SHA-256");
    });

    it("several problems at once", () => {
      expectConfigError(write(yamlOf({ ...valid(), hostId: "", agentToken: 5 })), "hostId is empty", "agentToken");
    });

    it("not YAML, not a mapping", () => {
      expectConfigError(write("serverUrl: [\n  broken"), "not valid YAML");
      expectConfigError(write("- a\n- b\n"), "expected a YAML mapping");
      expectConfigError(write(""), "expected a YAML mapping");
    });
  });
});

describe("paths", () => {
  it("--config beats RM_AGENT_CONFIG beats the default", () => {
    expect(resolveConfigPath("/x/flag.yaml", { RM_AGENT_CONFIG: "/x/env.yaml" })).toBe("/x/flag.yaml");
    expect(resolveConfigPath(undefined, { RM_AGENT_CONFIG: "/x/env.yaml" })).toBe("/x/env.yaml");
    expect(resolveConfigPath(undefined, {})).toBe(defaultPaths().config);
  });

  it("uses the platform defaults", () => {
    expect(defaultPaths("linux")).toEqual({
      config: "/etc/restic-manager/agent.yaml",
      secretsFile: "/var/lib/restic-manager/secrets.enc",
      spoolDir: "/var/lib/restic-manager/spool",
    });
    expect(defaultPaths("win32", { ProgramData: "D:\\PD" }).config).toMatch(/^D:\\PD.restic-manager.agent\.yaml$/);
  });

  it("keeps data files beside a non-default config", () => {
    expect(dataPathsFor("/tmp/t/agent.yaml")).toMatchObject({
      secretsFile: "/tmp/t/secrets.enc",
      spoolDir: "/tmp/t/spool",
    });
    expect(dataPathsFor(defaultPaths().config).secretsFile).toBe(defaultPaths().secretsFile);
  });
});
