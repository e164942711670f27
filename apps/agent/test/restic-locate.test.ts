import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compareVersions, findOnPath, locateRestic, parseResticVersion } from "../src/restic/locate.js";
import { tempDir } from "./helpers/config.js";

const REAL_RESTIC = "/usr/bin/restic";
// The real restic is part of the test baseline (DESIGN.md); fail loudly rather than skip.
const realVersion = /restic (\d+\.\d+\.\d+)/.exec(execFileSync(REAL_RESTIC, ["version"]).toString())?.[1];

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

function fakeRestic(dir: string, script: string) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "restic");
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe("locateRestic", () => {
  it("finds the real restic at a configured path", async () => {
    const info = await locateRestic({ configuredPath: REAL_RESTIC });
    expect(info).toEqual({ version: realVersion, path: REAL_RESTIC, error: null });
  });

  it("finds the real restic on PATH", async () => {
    const info = await locateRestic({ env: { PATH: `${join(tmp.dir, "empty")}:/usr/bin` } });
    expect(info).toEqual({ version: realVersion, path: REAL_RESTIC, error: null });
  });

  it("reports a missing configured path", async () => {
    const info = await locateRestic({ configuredPath: join(tmp.dir, "missing", "restic") });
    expect(info.version).toBeNull();
    expect(info.path).toBeNull();
    expect(info.error).toMatch(/resticPath .*missing\/restic from the agent config is not an executable file/);
  });

  it("reports a relative configured path", async () => {
    expect((await locateRestic({ configuredPath: "bin/restic" })).error).toMatch(/must be absolute/);
  });

  it("reports a file that is not executable", async () => {
    const path = join(tmp.dir, "restic");
    writeFileSync(path, "not a program");
    chmodSync(path, 0o644);
    // root passes access(X_OK) only when some execute bit is set, so 0644 is refused for root too.
    expect((await locateRestic({ configuredPath: path })).error).toMatch(/not an executable file/);
  });

  it("reports restic missing from PATH", async () => {
    const info = await locateRestic({ env: { PATH: join(tmp.dir, "empty") } });
    expect(info).toEqual({
      version: null,
      path: null,
      error: expect.stringMatching(/^restic not found on PATH; install restic/),
    });
  });

  it("remembers the version of an unchanged binary and asks a replaced one again", async () => {
    const counter = join(tmp.dir, "asked");
    const restic = fakeRestic(join(tmp.dir, "cached"), `echo x >> ${counter}; echo "restic 0.16.4 compiled with go"`);
    const versionCache = join(tmp.dir, "restic-version.json");
    const asked = () => readFileSync(counter, "utf8").trim().split("\n").length;

    expect(await locateRestic({ configuredPath: restic, versionCache })).toMatchObject({ version: "0.16.4" });
    expect(await locateRestic({ configuredPath: restic, versionCache })).toEqual({
      version: "0.16.4",
      path: restic,
      error: null,
    });
    expect(asked()).toBe(1);

    // An upgrade replaces the file: another size, mtime or inode.
    rmSync(restic);
    fakeRestic(join(tmp.dir, "cached"), `echo x >> ${counter}; echo "restic 0.17.3 compiled with go1.22"`);
    expect(await locateRestic({ configuredPath: restic, versionCache })).toMatchObject({ version: "0.17.3" });
    expect(asked()).toBe(2);

    // A garbled cache is only a miss.
    writeFileSync(versionCache, "{not json");
    expect(await locateRestic({ configuredPath: restic, versionCache })).toMatchObject({ version: "0.17.3" });
    expect(asked()).toBe(3);
  });

  it("reports a restic that fails, prints nonsense, or is too old", async () => {
    const failing = fakeRestic(join(tmp.dir, "a"), 'echo "segfault-ish" >&2; exit 2');
    expect((await locateRestic({ configuredPath: failing })).error).toMatch(/`.*version` failed: segfault-ish/);

    const nonsense = fakeRestic(join(tmp.dir, "b"), "echo hello");
    expect((await locateRestic({ configuredPath: nonsense })).error).toMatch(/cannot read a version/);

    const old = fakeRestic(join(tmp.dir, "c"), 'echo "restic 0.9.6 compiled with go1.13 on linux/amd64"');
    expect(await locateRestic({ configuredPath: old })).toEqual({
      version: "0.9.6",
      path: old,
      error: "restic 0.9.6 is too old; restic-manager needs 0.14.0 or newer",
    });

    const hanging = fakeRestic(join(tmp.dir, "d"), "sleep 10");
    expect((await locateRestic({ configuredPath: hanging, timeoutMs: 200 })).error).toMatch(/version` failed/);
  });

  it("prefers the first PATH entry", () => {
    const first = fakeRestic(join(tmp.dir, "first"), "echo restic 0.18.0");
    expect(findOnPath({ PATH: `${join(tmp.dir, "first")}:/usr/bin` }, "linux")).toBe(first);
  });
});

describe("restic version parsing", () => {
  it.each([
    ["restic 0.14.0 compiled with go1.19.8 on linux/amd64", "0.14.0"],
    ["restic 0.18.1 compiled with go1.24.4 on windows/amd64\n", "0.18.1"],
    ["restic 0.17.0-dev (compiled manually) compiled with go1.22 on linux/arm64", "0.17.0-dev"],
    ["garbage", null],
  ])("%s -> %s", (output, version) => {
    expect(parseResticVersion(output)).toBe(version);
  });

  it("compares versions numerically", () => {
    expect(compareVersions("0.14.0", "0.9.6")).toBe(1);
    expect(compareVersions("0.14.0", "0.14.0")).toBe(0);
    expect(compareVersions("0.13.9", "0.14.0")).toBe(-1);
    expect(compareVersions("0.17.0-dev", "0.17.0")).toBe(0);
  });
});
