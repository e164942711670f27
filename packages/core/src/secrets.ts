import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** Where an encrypted value lives. Bound into the ciphertext as additional authenticated data. */
export interface SecretSlot {
  table: string;
  column: string;
  rowId: string;
}

export class SecretDecryptError extends Error {
  constructor(slot: SecretSlot) {
    super(
      `cannot decrypt ${slot.table}.${slot.column} for row ${slot.rowId}: wrong key, or the value was moved from another row`,
    );
    this.name = "SecretDecryptError";
  }
}

const aad = (slot: SecretSlot) => Buffer.from(`restic-manager/v${VERSION}/${slot.table}/${slot.column}/${slot.rowId}`);

/**
 * AES-256-GCM with the slot (table, column, row id) as additional authenticated data,
 * so a ciphertext copied into another row or column fails to decrypt.
 * Layout: version byte | 12-byte IV | 16-byte tag | ciphertext.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.#key = Buffer.from(key);
  }

  encrypt(plaintext: string | Buffer, slot: SecretSlot): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(aad(slot));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  decrypt(blob: Uint8Array, slot: SecretSlot): Buffer {
    const buf = Buffer.from(blob);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) throw new SecretDecryptError(slot);
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv);
      decipher.setAAD(aad(slot));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretDecryptError(slot);
    }
  }

  decryptString(blob: Uint8Array, slot: SecretSlot): string {
    return this.decrypt(blob, slot).toString("utf8");
  }
}

/** The key file holds 32 random bytes, base64, one line. */
export function readKeyFile(path: string): Buffer {
  const text = readFileSync(path, "utf8").trim();
  const key = Buffer.from(text, "base64");
  if (key.length !== KEY_BYTES) {
    throw new Error(
      `${path} does not hold a restic-manager secret key (expected ${KEY_BYTES} bytes of base64, found ${key.length} bytes)`,
    );
  }
  return key;
}

/** Creates the key file with mode 0600. Refuses to overwrite one that exists. */
export function createKeyFile(path: string): Buffer {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(path, 0o600);
  return key;
}

export const keyFileExists = (path: string) => existsSync(path);
