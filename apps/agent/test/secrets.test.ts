import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newSecretsKey, SecretsError, SecretsStore } from "../src/secrets.js";
import { tempDir } from "./helpers/config.js";

const repository = { url: "sftp:backup@nas:/srv/restic", username: "backup", password: "correct horse battery staple" };

let tmp: ReturnType<typeof tempDir>;
let path: string;
beforeEach(() => {
  tmp = tempDir();
  path = join(tmp.dir, "lib", "secrets.enc");
});
afterEach(() => tmp.cleanup());

describe("SecretsStore", () => {
  it("round-trips the repository credentials", () => {
    const key = newSecretsKey();
    const store = new SecretsStore(path, key, "host-1");
    expect(store.read()).toBeNull();
    store.write(4, repository, 1_700_000_000_000);
    expect(new SecretsStore(path, key, "host-1").read()).toEqual({
      version: 4,
      repository,
      updatedAt: 1_700_000_000_000,
    });
  });

  it("writes 0600 and never the plaintext", () => {
    const previous = process.umask(0);
    try {
      new SecretsStore(path, newSecretsKey(), "host-1").write(1, repository);
    } finally {
      process.umask(previous);
    }
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const raw = readFileSync(path);
    expect(raw.includes(Buffer.from(repository.password))).toBe(false);
    expect(raw.includes(Buffer.from("sftp:"))).toBe(false);
  });

  it("fails with a clear error under the wrong key", () => {
    new SecretsStore(path, newSecretsKey(), "host-1").write(1, repository);
    const other = new SecretsStore(path, newSecretsKey(), "host-1");
    expect(() => other.read()).toThrow(SecretsError);
    expect(() => other.read()).toThrow(/secretsKey in the agent config does not match/);
  });

  it("fails when the file was copied from another host", () => {
    const key = newSecretsKey();
    new SecretsStore(path, key, "host-1").write(1, repository);
    expect(() => new SecretsStore(path, key, "host-2").read()).toThrow(SecretsError);
  });

  it("detects tampering and foreign files", () => {
    const key = newSecretsKey();
    const store = new SecretsStore(path, key, "host-1");
    store.write(1, repository);
    const raw = readFileSync(path);
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    writeFileSync(path, raw);
    expect(() => store.read()).toThrow(SecretsError);
    writeFileSync(path, "password=hunter2\n");
    expect(() => store.read()).toThrow(/not a restic-manager secrets file/);
  });

  it("refuses a key of the wrong size", () => {
    expect(() => new SecretsStore(path, Buffer.alloc(16).toString("base64"), "h")).toThrow(/32 bytes/);
  });

  it("each write uses a fresh IV", () => {
    const store = new SecretsStore(path, newSecretsKey(), "host-1");
    store.write(1, repository);
    const first = readFileSync(path);
    store.write(1, repository);
    expect(readFileSync(path).equals(first)).toBe(false);
  });
});
