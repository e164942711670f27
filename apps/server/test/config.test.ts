import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("loadConfig", () => {
  it("has newcomer defaults", () => {
    const c = loadConfig({}, "/srv/rm");
    expect(c).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      dataDir: "/srv/rm/data",
      databaseUrl: "file:/srv/rm/data/restic-manager.db",
      secretKeyFile: "/srv/rm/data/secret.key",
      publicUrl: "http://127.0.0.1:8080",
      trustedProxy: false,
      logLevel: "info",
    });
  });

  it("derives paths from RM_DATA_DIR and keeps explicit ones", () => {
    const c = loadConfig({ RM_DATA_DIR: "/var/lib/rm", RM_SECRET_KEY_FILE: "/etc/rm/key" }, "/");
    expect(c.databaseUrl).toBe("file:/var/lib/rm/restic-manager.db");
    expect(c.secretKeyFile).toBe("/etc/rm/key");
  });

  it.each([
    ["RM_LISTEN", "8080"],
    ["RM_LISTEN", "localhost:99999"],
    ["RM_PUBLIC_URL", "backup.example.com"],
    ["RM_PUBLIC_URL", "ftp://backup.example.com"],
    ["RM_LOG_LEVEL", "loud"],
    ["RM_TRUSTED_PROXY", "10.0.0.1, not-an-ip"],
    ["RM_DATABASE_URL", "postgres://x"],
    ["RM_SESSION_IDLE_HOURS", "-1"],
  ])("names %s when its value %j is bad", (variable, value) => {
    expect(() => loadConfig({ [variable]: value }, "/")).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value }, "/")).toThrow(new RegExp(`^${variable}: `));
  });

  it("strips a trailing slash from the public URL and accepts proxies as a list", () => {
    const c = loadConfig({ RM_PUBLIC_URL: "https://b.example.com/", RM_TRUSTED_PROXY: "127.0.0.1, 10.0.0.0/8" }, "/");
    expect(c.publicUrl).toBe("https://b.example.com");
    expect(c.trustedProxy).toEqual(["127.0.0.1", "10.0.0.0/8"]);
  });
});
