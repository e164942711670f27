import { type Database, hosts, newId, sourceGroups, type Transaction } from "@restic-manager/db";
import { and, asc, eq, ne } from "drizzle-orm";
import { type Actor, writeAudit } from "./audit.js";
import { DomainError } from "./errors.js";

export interface SourceGroupInput {
  name: string;
  includePaths: string[];
  excludePatterns: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Paths go to restic as arguments after `--`, and patterns as `--exclude=<pattern>`, so
 * neither can become a flag; these checks give the operator a clear message up front.
 */
export function validateSourceGroup(input: SourceGroupInput): SourceGroupInput {
  const name = input.name.trim();
  if (!NAME.test(name)) {
    throw new DomainError(
      "BAD_REQUEST",
      "Group names are 1-64 letters, digits, dot, underscore or hyphen; the name becomes the snapshot tag.",
    );
  }
  const clean = (values: string[], what: string) =>
    values
      .map((v) => v.replace(/\r$/, ""))
      .filter((v) => v.trim() !== "")
      .map((v) => {
        if (/[\n\0]/.test(v))
          throw new DomainError("BAD_REQUEST", `${what} "${v.slice(0, 40)}" contains a line break.`);
        if (v.startsWith("-")) {
          throw new DomainError(
            "BAD_REQUEST",
            `${what} "${v.slice(0, 80)}" begins with "-", which restic would read as an option. Use an absolute path${what === "Exclude pattern" ? " or a pattern such as ./-name" : ""}.`,
          );
        }
        if (v.length > 4096) throw new DomainError("BAD_REQUEST", `${what} is longer than 4096 characters.`);
        return v;
      });
  const includePaths = clean(input.includePaths, "Path");
  const excludePatterns = clean(input.excludePatterns, "Exclude pattern");
  if (includePaths.length > 1000 || excludePatterns.length > 1000) {
    throw new DomainError("BAD_REQUEST", "A group can have at most 1000 paths and 1000 exclude patterns.");
  }
  return { name, includePaths, excludePatterns };
}

export class SourceGroupService {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  list(hostId: string) {
    return this.db.select().from(sourceGroups).where(eq(sourceGroups.hostId, hostId)).orderBy(asc(sourceGroups.name));
  }

  async get(groupId: string) {
    const [row] = await this.db.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
    if (!row) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
    return row;
  }

  async create(hostId: string, raw: SourceGroupInput, actor: Actor) {
    const input = validateSourceGroup(raw);
    const id = newId();
    await this.db.transaction(async (tx) => {
      const [host] = await tx.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
      if (!host) throw new DomainError("NOT_FOUND", "No such host.");
      await assertNameFree(tx, hostId, input.name);
      await tx.insert(sourceGroups).values({ id, hostId, ...input, updatedAt: new Date(this.now()) });
      await writeAudit(tx, actor, {
        action: "source_group.create",
        target: { type: "source_group", id },
        summary: `created source group "${input.name}" on "${host.name}" (${input.includePaths.length} paths)`,
      });
    });
    return this.get(id);
  }

  async update(groupId: string, raw: SourceGroupInput, actor: Actor) {
    const input = validateSourceGroup(raw);
    await this.db.transaction(async (tx) => {
      const [group] = await tx.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
      if (!group) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
      await assertNameFree(tx, group.hostId, input.name, groupId);
      await tx
        .update(sourceGroups)
        .set({ ...input, updatedAt: new Date(this.now()) })
        .where(eq(sourceGroups.id, groupId));
      await writeAudit(tx, actor, {
        action: "source_group.update",
        target: { type: "source_group", id: groupId },
        summary: `updated source group "${input.name}" (${input.includePaths.length} paths, ${input.excludePatterns.length} excludes)`,
      });
    });
    return this.get(groupId);
  }

  async remove(groupId: string, actor: Actor) {
    await this.db.transaction(async (tx) => {
      const [group] = await tx.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
      if (!group) throw new DomainError("NOT_FOUND", "No such source group. It may have been deleted.");
      const others = await tx
        .select({ id: sourceGroups.id })
        .from(sourceGroups)
        .where(and(eq(sourceGroups.hostId, group.hostId), ne(sourceGroups.id, groupId)))
        .limit(1);
      if (others.length === 0) {
        throw new DomainError(
          "CONFLICT",
          "This is the host's last source group. Create another one before deleting it.",
        );
      }
      await tx.delete(sourceGroups).where(eq(sourceGroups.id, groupId));
      await writeAudit(tx, actor, {
        action: "source_group.delete",
        target: { type: "source_group", id: groupId },
        summary: `deleted source group "${group.name}"`,
      });
    });
  }
}

async function assertNameFree(tx: Transaction, hostId: string, name: string, exceptId?: string) {
  const rows = await tx
    .select({ id: sourceGroups.id })
    .from(sourceGroups)
    .where(and(eq(sourceGroups.hostId, hostId), eq(sourceGroups.name, name)));
  if (rows.some((r) => r.id !== exceptId)) {
    throw new DomainError("CONFLICT", `This host already has a source group named "${name}".`);
  }
}
