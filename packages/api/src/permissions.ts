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
  "enrollment.create": "operator",
  "enrollment.pending": "operator",
  "enrollment.status": "operator",
  "enrollment.watch": "operator",
};
