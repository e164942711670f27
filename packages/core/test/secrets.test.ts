import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { migrateDatabase, openDatabase } from "@restic-manager/db";
import { afterEach, describe, expect, it } from "vitest";
import { loadSecretBox, SecretBox, SecretDecryptError, SecretKeyMismatchError } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "rm-secrets-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const slot = { table: "host_credentials", column: "password_enc", rowId: "HOST1" };

describe("SecretBox", () => {
  const box = new SecretBox(Buffer.alloc(32, 7));

  it("round-trips and never stores the plaintext", () => {
    const blob = box.encrypt("hunter2-canary", slot);
    expect(blob.includes(Buffer.from("hunter2-canary"))).toBe(false);
    expect(box.decryptString(blob, slot)).toBe("hunter2-canary");
    // A fresh IV each time.
    expect(box.encrypt("hunter2-canary", slot).equals(blob)).toBe(false);
  });

  it("refuses a ciphertext copied to another row, column or table", () => {
    const blob = box.encrypt("secret", slot);
    expect(() => box.decrypt(blob, { ...slot, rowId: "HOST2" })).toThrow(SecretDecryptError);
    expect(() => box.decrypt(blob, { ...slot, column: "other" })).toThrow(SecretDecryptError);
    expect(() => box.decrypt(blob, { ...slot, table: "enrollment_tokens" })).toThrow(SecretDecryptError);
  });

  it("refuses a tampered or truncated ciphertext, and a different key", () => {
    const blob = box.encrypt("secret", slot);
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
    expect(() => box.decrypt(tampered, slot)).toThrow(SecretDecryptError);
    expect(() => box.decrypt(blob.subarray(0, 10), slot)).toThrow(SecretDecryptError);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).decrypt(blob, slot)).toThrow(SecretDecryptError);
  });

  it("wants a 32-byte key", () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

describe("loadSecretBox", () => {
  async function db(dir: string) {
    const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
    await migrateDatabase(handle.db, MIGRATIONS);
    return handle;
  }

  it("creates a 0600 key file for a fresh database, and accepts it on the next start", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    const h = await db(dir);
    const first = await loadSecretBox(h.db, keyFile);
    expect(first.created).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await loadSecretBox(h.db, keyFile);
    expect(again.created).toBe(false);
    h.close();
  });

  it("refuses another key file, naming the file and what to do", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    const h = await db(dir);
    await loadSecretBox(h.db, keyFile);
    const other = join(dir, "other.key");
    writeFileSync(other, `${Buffer.alloc(32, 1).toString("base64")}\n`);
    const err = await loadSecretBox(h.db, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretKeyMismatchError);
    expect((err as Error).message).toContain(other);
    expect((err as Error).message).toMatch(/RM_SECRET_KEY_FILE/);
    h.close();
  });

  it("refuses to start when the key file of an existing database is missing, and does not create one", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    const h = await db(dir);
    await loadSecretBox(h.db, keyFile);
    rmSync(keyFile);
    const err = await loadSecretBox(h.db, keyFile).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretKeyMismatchError);
    expect((err as Error).message).toMatch(/is missing/);
    expect(() => readFileSync(keyFile)).toThrow();
    h.close();
  });

  it("refuses a key file that is not a key", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "secret.key");
    const h = await db(dir);
    await loadSecretBox(h.db, keyFile);
    writeFileSync(keyFile, "not a key\n");
    await expect(loadSecretBox(h.db, keyFile)).rejects.toThrow(/does not hold a restic-manager secret key/);
    h.close();
  });
});
