/**
 * The agent cross-compiles for every platform the console serves: a PE executable for
 * windows-x64 and an ELF for linux-arm64 (Windows and arm64 are not run here, only built).
 */
import { mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildAgent, TARGETS } from "../scripts/build.js";

const outdir = mkdtempSync(join(tmpdir(), "rm-agent-cross-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function header(path: string, bytes: number): Buffer {
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(bytes);
  readSync(fd, buf, 0, bytes, 0);
  return buf;
}

describe("cross-compiled agent binaries", () => {
  it("builds windows-x64 as a PE executable with its checksum", async () => {
    const target = TARGETS.find((t) => t.name === "windows-x64");
    expect(target).toBeDefined();
    const built = await buildAgent({ target: target!, outdir, version: "0.0.0-test" });
    expect(built.path).toMatch(/\.exe$/);
    expect(header(built.path, 2).toString("latin1")).toBe("MZ");
    expect(built.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 240_000);

  it("builds linux-arm64 as an aarch64 ELF", async () => {
    const target = TARGETS.find((t) => t.name === "linux-arm64");
    const built = await buildAgent({ target: target!, outdir, version: "0.0.0-test" });
    const elf = header(built.path, 20);
    expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(elf.readUInt16LE(18)).toBe(0xb7); // EM_AARCH64
  }, 240_000);
});
