import { createFileRoute } from "@tanstack/react-router";
import { AuditPage } from "../../../features/audit/audit-page";

export const Route = createFileRoute("/_app/admin/audit")({
  validateSearch: (search: Record<string, unknown>): { action?: string } =>
    typeof search.action === "string" && search.action ? { action: search.action } : {},
  component: AuditPage,
});
