import type { Tier } from "./trpc.js";

/**
 * Who may call what. Every procedure appears here exactly once; the permission-matrix test
 * walks the router and fails on any procedure missing from this list or built from another tier.
 */
export const PERMISSIONS: Record<string, Tier> = {
  "auth.status": "public",
  "auth.setup": "public",
  "auth.signIn": "public",
  "auth.signOut": "authed",
  "apiTokens.list": "authed",
  "apiTokens.create": "authed",
  "apiTokens.revoke": "authed",
  "users.list": "admin",
  "users.create": "admin",
  "users.setRole": "admin",
  "users.setDisabled": "admin",
  "audit.list": "admin",
  "hosts.list": "authed",
  "hosts.options": "authed",
  "hosts.get": "authed",
  "hosts.credentials": "operator",
  "hosts.updateCredentials": "operator",
  "hosts.revoke": "admin",
  "hosts.summary": "authed",
  "hosts.snapshots": "authed",
  "hosts.initStatus": "authed",
  "hosts.reinit": "operator",
  "hosts.remove": "admin",
  "jobs.list": "authed",
  "jobs.get": "authed",
  "jobs.logs": "authed",
  "jobs.runBackup": "operator",
  "jobs.cancel": "operator",
  "jobs.watch": "authed",
  "sources.list": "authed",
  "sources.create": "operator",
  "sources.update": "operator",
  "sources.remove": "operator",
  "sources.get": "operator",
  "sources.conflicts": "authed",
  "sources.runNow": "operator",
  "schedules.list": "authed",
  "schedules.get": "authed",
  "schedules.preview": "authed",
  "schedules.presets": "authed",
  "schedules.watch": "authed",
  "schedules.create": "operator",
  "schedules.update": "operator",
  "schedules.remove": "operator",
  "schedules.runNow": "operator",
  "repo.overview": "authed",
  "repo.watch": "authed",
  "repo.updateMaintenance": "operator",
  "repo.updateBandwidth": "operator",
  "repo.updateAdminCredentials": "admin",
  "repo.runForget": "operator",
  "repo.runPrune": "operator",
  "repo.runCheck": "operator",
  "repo.runUnlock": "operator",
  "enrollment.create": "operator",
  "enrollment.pending": "operator",
  "enrollment.status": "operator",
  "enrollment.watch": "operator",
};

/**
 * The HTTP routes outside tRPC and who may use them. `public` routes check what they need
 * themselves (an enrolment token, nothing for health and the SPA); `agent` is the agent
 * WebSocket (its bearer is checked before the upgrade); the others use the tiers above. A
 * server test fails when a registered route is missing here or an entry has no route.
 */
export const HTTP_ROUTES: Record<string, Tier | "agent"> = {
  "GET /healthz": "public",
  "GET /readyz": "public",
  "POST /api/agents/enroll": "public",
  "GET /agent/binary": "public",
  "GET /agent/binary.sha256": "public",
  "GET /install/:script": "public",
  "GET /api/jobs/:jobId/stream": "authed",
  "GET /ws/agent": "agent",
  "GET /*": "public",
};
