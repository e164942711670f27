import { listAudit } from "@restic-manager/core";
import { ZAuditListRequest } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const auditRouter = router({
  list: adminProcedure.input(ZAuditListRequest).query(async ({ ctx, input }) => {
    const rows = await listAudit(ctx.core.db, input);
    const last = rows.at(-1);
    return { rows, nextBefore: rows.length === input.limit && last ? last.id : null };
  }),
});
