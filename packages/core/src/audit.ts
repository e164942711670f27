import { auditLog, type Database } from "@restic-manager/db";
import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";

/** Who did something: a signed-in user, an API token, an agent or the server itself. */
export interface Actor {
  kind: "user" | "token" | "agent" | "system" | "schedule" | "maintenance";
  id: string;
  name: string;
  ip?: string | null | undefined;
}

export const SYSTEM_ACTOR: Actor = { kind: "system", id: "system", name: "system" };

export interface AuditEntry {
  action: string;
  target?: { type: string; id: string };
  /** Human-readable; callers pass names and ids, never secret material. */
  summary: string;
}

type Executor = Pick<Database, "insert">;

/** `at`: when it happened, for a row written later than that (see DeferredWrites). */
export async function writeAudit(db: Executor, actor: Actor, entry: AuditEntry, at = new Date()): Promise<void> {
  await db.insert(auditLog).values({
    at,
    actor: `${actor.kind}:${actor.id}`,
    actorName: actor.name,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    ip: actor.ip ?? null,
    summary: entry.summary,
  });
}

export interface AuditQuery {
  action?: string | undefined;
  actor?: string | undefined;
  before?: number | undefined;
  since?: number | undefined;
  limit: number;
}

export async function listAudit(db: Database, q: AuditQuery) {
  const where: SQL[] = [];
  if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.actor) where.push(eq(auditLog.actor, q.actor));
  if (q.before !== undefined) where.push(lt(auditLog.id, q.before));
  if (q.since !== undefined) where.push(gte(auditLog.at, new Date(q.since)));
  return db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit);
}
