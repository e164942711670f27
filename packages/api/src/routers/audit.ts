import { listAudit } from "@restic-manager/core";
import { ZAuditListRequest } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const auditRouter = router({
  list: adminProcedure.input(ZAuditListRequest).query(async ({ ctx, input }) => {
    const { cursor, ...filter } = input;
    const items = await listAudit(ctx.core.db, { ...filter, before: cursor ? Number(cursor) : undefined });
    const last = items.at(-1);
    return { items, nextCursor: items.length === input.limit && last ? String(last.id) : null };
  }),
});
