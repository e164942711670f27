import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { type RepositoryConfig, ZRepositoryConfig } from "@restic-manager/protocol";
import { z } from "zod";
import { writeFileAtomic } from "./fs-atomic.js";

const MAGIC = Buffer.from("RMS1");
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRETS_KEY_BYTES = 32;

/** What the secrets file holds: the repository credentials the server pushed, and their version. */
export const ZStoredSecrets = z.object({
  version: z.number().int().nonnegative(),
  repository: ZRepositoryConfig,
  updatedAt: z.number().int().nonnegative(),
});
export type StoredSecrets = z.infer<typeof ZStoredSecrets>;

export class SecretsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretsError";
  }
}

export const newSecretsKey = () => randomBytes(SECRETS_KEY_BYTES).toString("base64");

/**
 * The agent's only store for repository credentials: one AES-256-GCM file, written atomically
 * with mode 0600. The host id is bound in as additional authenticated data, so a secrets file
 * copied from another host fails to open even with the right key.
 * Layout: "RMS1" | 12-byte IV | 16-byte tag | ciphertext of JSON StoredSecrets.
 */
export class SecretsStore {
  readonly #key: Buffer;
  readonly #aad: Buffer;

  constructor(
    readonly path: string,
    keyBase64: string,
    hostId: string,
  ) {
    const key = Buffer.from(keyBase64, "base64");
    if (key.length !== SECRETS_KEY_BYTES) {
      throw new SecretsError(`secretsKey must be ${SECRETS_KEY_BYTES} bytes of base64, got ${key.length} bytes`);
    }
    this.#key = key;
    this.#aad = Buffer.from(`restic-manager-agent/secrets/v1/${hostId}`);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  /** The stored credentials, or null when the server has not sent any yet. */
  read(): StoredSecrets | null {
    if (!this.exists()) return null;
    const blob = readFileSync(this.path);
    if (blob.length < MAGIC.length + IV_BYTES + TAG_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new SecretsError(`${this.path} is not a restic-manager secrets file`);
    }
    const iv = blob.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
    const tag = blob.subarray(MAGIC.length + IV_BYTES, MAGIC.length + IV_BYTES + TAG_BYTES);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv);
      decipher.setAAD(this.#aad);
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([
        decipher.update(blob.subarray(MAGIC.length + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new SecretsError(
        `cannot decrypt ${this.path}: the secretsKey in the agent config does not match it (was the config replaced or the file copied from another host?). Delete the file; the server sends the credentials again on the next connection.`,
      );
    }
    const parsed = ZStoredSecrets.safeParse(JSON.parse(plaintext.toString("utf8")));
    plaintext.fill(0);
    if (!parsed.success) throw new SecretsError(`${this.path} decrypted but holds no valid credentials`);
    return parsed.data;
  }

  write(version: number, repository: RepositoryConfig, now = Date.now()): void {
    const plaintext = Buffer.from(JSON.stringify(ZStoredSecrets.parse({ version, repository, updatedAt: now })));
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(this.#aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    writeFileAtomic(this.path, Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]), 0o600);
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
