import { type Database, newId, type Role, sessions, type Transaction, users } from "@restic-manager/db";
import { and, asc, eq, isNull, ne, sql } from "drizzle-orm";
import { type Actor, writeAudit } from "./audit.js";
import { normaliseUsername, validateNewPassword } from "./auth.js";
import { DomainError } from "./errors.js";
import { hashPassword } from "./passwords.js";

export class UserService {
  constructor(private readonly db: Database) {}

  list() {
    return this.db
      .select({
        id: users.id,
        username: users.username,
        role: users.role,
        createdAt: users.createdAt,
        lastSignInAt: users.lastSignInAt,
        disabledAt: users.disabledAt,
      })
      .from(users)
      .orderBy(asc(users.username));
  }

  async create(input: { username: string; password: string; role: Role }, actor: Actor) {
    const username = normaliseUsername(input.username);
    validateNewPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    const id = newId();
    await this.db.transaction(async (tx) => {
      const [taken] = await tx
        .select({ id: users.id })
        .from(users)
        .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
      if (taken) throw new DomainError("CONFLICT", `The username "${username}" is taken. Choose another one.`);
      await tx.insert(users).values({ id, username, passwordHash, role: input.role });
      await writeAudit(tx, actor, {
        action: "user.create",
        target: { type: "user", id },
        summary: `created user "${username}" with role ${input.role}`,
      });
    });
    return { id, username, role: input.role };
  }

  async setRole(input: { userId: string; role: Role }, actor: Actor) {
    await this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(users).where(eq(users.id, input.userId));
      if (!row) throw new DomainError("NOT_FOUND", "No such user.");
      if (row.role === "admin" && input.role !== "admin") await assertAnotherAdmin(tx, row.id);
      await tx.update(users).set({ role: input.role }).where(eq(users.id, row.id));
      await writeAudit(tx, actor, {
        action: "user.set_role",
        target: { type: "user", id: row.id },
        summary: `changed the role of "${row.username}" from ${row.role} to ${input.role}`,
      });
    });
  }

  /** Disabling signs the user out everywhere. */
  async setDisabled(input: { userId: string; disabled: boolean }, actor: Actor) {
    if (input.disabled && actor.kind === "user" && actor.id === input.userId) {
      throw new DomainError("BAD_REQUEST", "You cannot disable your own account.");
    }
    await this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(users).where(eq(users.id, input.userId));
      if (!row) throw new DomainError("NOT_FOUND", "No such user.");
      if (input.disabled && row.role === "admin") await assertAnotherAdmin(tx, row.id);
      await tx
        .update(users)
        .set({ disabledAt: input.disabled ? new Date() : null })
        .where(eq(users.id, row.id));
      if (input.disabled) await tx.delete(sessions).where(eq(sessions.userId, row.id));
      await writeAudit(tx, actor, {
        action: input.disabled ? "user.disable" : "user.enable",
        target: { type: "user", id: row.id },
        summary: `${input.disabled ? "disabled" : "enabled"} user "${row.username}"`,
      });
    });
  }
}

async function assertAnotherAdmin(tx: Transaction, exceptUserId: string) {
  const [other] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), ne(users.id, exceptUserId), isNull(users.disabledAt)))
    .limit(1);
  if (!other) throw new DomainError("CONFLICT", "This is the last active admin. Make another user admin first.");
}
