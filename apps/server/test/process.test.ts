import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bootServer, makeDataDir, removeDir } from "./harness.js";

const MAIN = resolve(import.meta.dirname, "../src/main.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ["--import", "tsx", MAIN], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 20_000,
  });

describe("server process", () => {
  it("stops with a message naming the variable on a bad setting", () => {
    const res = run({ RM_LISTEN: "nonsense" });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/invalid configuration: RM_LISTEN: expected host:port/);
  });

  it("refuses an existing data dir with another key file, saying which file and what to do", async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    await (await bootServer({ dataDir })).close();
    const otherKey = join(dataDir, "other.key");
    writeFileSync(otherKey, `${Buffer.alloc(32, 3).toString("base64")}\n`);
    const res = run({ RM_DATA_DIR: dataDir, RM_SECRET_KEY_FILE: otherKey, RM_LISTEN: "127.0.0.1:0" });
    expect(res.status).toBe(3);
    expect(res.stderr).toContain(`The key file ${otherKey} is not the key this database was set up with`);
    expect(res.stderr).toContain("Set RM_SECRET_KEY_FILE to the original key file");
  });
});
