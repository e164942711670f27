/** alerts.*, channels.*, alertRules.* through createCaller: tiers, the list shape, and secrets never answered. */
import type { AuthUser, Core } from "@restic-manager/core";
import { hosts, newId } from "@restic-manager/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCallerFactory } from "../src/index.js";
import { ctxFor, openTestCore } from "./helpers/context.js";

const createCaller = createCallerFactory(appRouter);
const admin: AuthUser = { id: "a", username: "admin", role: "admin" };
const operator: AuthUser = { id: "o", username: "oper", role: "operator" };
const viewer: AuthUser = { id: "v", username: "viewer", role: "viewer" };
const CANARY = "canary-api-secret-7c1e0d9b";

let core: Core;
let closeDb: () => void;
const hostId = newId();

beforeAll(async () => {
  const opened = await openTestCore("rm-alerts-api-");
  core = opened.core;
  closeDb = opened.close;
  await core.db.insert(hosts).values({ id: hostId, name: "api-1", status: "online" });
});
afterAll(() => {
  core.alertDelivery.stop();
  closeDb();
});

describe("channels", () => {
  it("are admin only, and never answer the secret", async () => {
    const asAdmin = createCaller(ctxFor(core, admin));
    await expect(createCaller(ctxFor(core, operator)).channels.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const created = await asAdmin.channels.create({
      kind: "webhook",
      name: "hook",
      settings: { url: "http://127.0.0.1:9/hook" },
      secret: { signingSecret: CANARY },
    });
    expect(created).toMatchObject({
      hasSecret: true,
      failing: false,
      routing: { rules: [], severities: [], hostTags: [] },
    });
    const updated = await asAdmin.channels.update({
      channelId: created.id,
      channel: { kind: "webhook", name: "hook 2", settings: { url: "http://127.0.0.1:9/hook" } },
    });
    expect(updated).toMatchObject({ name: "hook 2", hasSecret: true });
    const list = await asAdmin.channels.list();
    expect(list).toMatchObject({ nextCursor: null, total: 1 });
    const tested = await asAdmin.channels.test({ channelId: created.id });
    expect(tested.ok).toBe(false);
    expect(tested.error).toMatch(/cannot reach the webhook/);
    for (const answer of [created, updated, list, tested]) expect(JSON.stringify(answer)).not.toContain(CANARY);
    await expect(
      asAdmin.channels.create({
        kind: "webhook",
        name: "x",
        settings: { url: "not a url" },
        secret: { signingSecret: CANARY },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await asAdmin.channels.delete({ channelId: created.id })).toEqual({ ok: true });
  });
});

describe("alerts", () => {
  it("list in the one list shape, filter, acknowledge (operator) and resolve", async () => {
    const raised = await core.alerts.raise({ rule: "agent_offline", hostId, severity: "warning", summary: "gone" });
    const asViewer = createCaller(ctxFor(core, viewer));
    const asOperator = createCaller(ctxFor(core, operator));
    const page = await asViewer.alerts.list({ status: "unresolved", limit: 10 });
    expect(page).toMatchObject({ total: 1, nextCursor: null, items: [{ id: raised?.alertId, hostName: "api-1" }] });
    expect((await asViewer.alerts.list({ rule: "backup_failed" })).total).toBe(0);
    expect(await asViewer.alerts.openCount()).toEqual({ total: 1, bySeverity: { critical: 0, warning: 1, info: 0 } });
    await expect(asViewer.alerts.acknowledge({ alertId: raised?.alertId as string })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const acked = await asOperator.alerts.acknowledge({ alertId: raised?.alertId as string, note: "on it" });
    expect(acked).toMatchObject({ status: "acknowledged", acknowledgedBy: "oper", ackNote: "on it" });
    const resolved = await asOperator.alerts.resolve({ alertId: raised?.alertId as string });
    expect(resolved).toMatchObject({ status: "resolved", resolvedHow: "manual" });
    const got = await asViewer.alerts.get({ alertId: raised?.alertId as string });
    expect(got.deliveries).toEqual([]);
    await expect(asViewer.alerts.get({ alertId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await asViewer.alerts.health({ hostId })).toMatchObject({ items: [], nextCursor: null, total: 0 });
  });
});

describe("alertRules", () => {
  it("reads and writes fleet defaults and host overrides (admin)", async () => {
    const asAdmin = createCaller(ctxFor(core, admin));
    await expect(createCaller(ctxFor(core, operator)).alertRules.get({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    const fleet = await asAdmin.alertRules.update({ rules: { agent_offline: { threshold: 30 } }, renotifyMinutes: 60 });
    expect(fleet).toMatchObject({ rules: { agent_offline: { threshold: 30, enabled: true } }, renotifyMinutes: 60 });
    const host = await asAdmin.alertRules.update({ hostId, rules: { agent_offline: { enabled: false } } });
    expect(host).toMatchObject({
      hostId,
      rules: { agent_offline: { enabled: false, threshold: 30 } },
      overrides: { agent_offline: { enabled: false, threshold: null } },
    });
    await expect(asAdmin.alertRules.update({ hostId, renotifyMinutes: 10 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
