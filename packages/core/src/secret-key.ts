import { type Database, meta } from "@restic-manager/db";
import { eq } from "drizzle-orm";
import { createKeyFile, keyFileExists, readKeyFile, SecretBox, SecretDecryptError } from "./secrets.js";

const CHECK_KEY = "secret_key_check";
const CHECK_SLOT = { table: "meta", column: "value", rowId: CHECK_KEY };
const CHECK_PLAINTEXT = "restic-manager secret key check";

/** Raised when the key file does not belong to this database. The message is the fix. */
export class SecretKeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretKeyMismatchError";
  }
}

/**
 * Loads the secret key and proves it is the one this database was set up with.
 * A fresh database gets a new key file (0600) when none exists; an existing database
 * never does, since a new key would silently orphan every stored secret.
 */
export async function loadSecretBox(db: Database, keyFile: string): Promise<{ box: SecretBox; created: boolean }> {
  const [row] = await db.select().from(meta).where(eq(meta.key, CHECK_KEY));
  if (!row) {
    const created = !keyFileExists(keyFile);
    const box = new SecretBox(created ? createKeyFile(keyFile) : readKeyFile(keyFile));
    const check = box.encrypt(CHECK_PLAINTEXT, CHECK_SLOT).toString("base64");
    await db.insert(meta).values({ key: CHECK_KEY, value: check });
    return { box, created };
  }
  if (!keyFileExists(keyFile)) {
    throw new SecretKeyMismatchError(
      `This database already holds encrypted secrets, but the key file ${keyFile} is missing. ` +
        "Put the original key file back at that path (or set RM_SECRET_KEY_FILE to where it is). " +
        "A new key cannot decrypt the stored repository passwords, so the console will not start without it.",
    );
  }
  let key: Buffer;
  try {
    key = readKeyFile(keyFile);
  } catch (e) {
    throw new SecretKeyMismatchError(`${(e as Error).message}. Restore the original key file to ${keyFile}.`);
  }
  const box = new SecretBox(key);
  try {
    box.decrypt(Buffer.from(row.value, "base64"), CHECK_SLOT);
  } catch (e) {
    if (!(e instanceof SecretDecryptError)) throw e;
    throw new SecretKeyMismatchError(
      `The key file ${keyFile} is not the key this database was set up with. ` +
        "Set RM_SECRET_KEY_FILE to the original key file (it was created next to the database on first start). " +
        "Refusing to start rather than lose access to the stored repository passwords.",
    );
  }
  return { box, created: false };
}
