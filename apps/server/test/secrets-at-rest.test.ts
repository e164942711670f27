import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SecretKeyMismatchError } from "@restic-manager/core";
import { auditLog, hostCredentials, hosts, newId } from "@restic-manager/db";
import { startAlertSinks, verifyWebhookSignature } from "@restic-manager/testkit";
import { afterEach, describe, expect, it } from "vitest";
import {
  bootServer,
  makeDataDir,
  removeDir,
  signedInAdmin,
  TestClient,
  type TestServer,
  tokenFromSetupUrl,
} from "./harness.js";

const CANARY = "canary-Repo-Pa55word-7f3a9c";
const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

describe("secrets at rest", () => {
  it("a canary password stored through the secrets helper is in no file, log line or audit row", async () => {
    const server = await bootServer();
    dirs.push(server.dataDir);
    const admin = new TestClient(server.url);
    await admin.call("auth.setup", { token: tokenFromSetupUrl(server.setupUrl), username: "admin", password: CANARY });

    const hostId = newId();
    await server.core.db.insert(hosts).values({ id: hostId, name: "canary-host" });
    await server.core.db.insert(hostCredentials).values({
      hostId,
      repoUrl: "/srv/restic/canary",
      passwordEnc: server.core.secrets.encrypt(CANARY, {
        table: "host_credentials",
        column: "password_enc",
        rowId: hostId,
      }),
      updatedAt: new Date(),
    });
    await admin.call("auth.signIn", { username: "admin", password: `${CANARY}-wrong` });
    const audit = await server.core.db.select().from(auditLog);
    // Read the WAL while the server still runs, then again after checkpoint on close.
    const scan = () => {
      for (const file of readdirSync(server.dataDir)) {
        const bytes = readFileSync(join(server.dataDir, file));
        expect(bytes.includes(Buffer.from(CANARY)), `${file} contains the canary`).toBe(false);
      }
    };
    scan();
    await server.close();
    scan();
    expect(readdirSync(server.dataDir)).toContain("restic-manager.db");
    expect(server.logs.join("\n")).not.toContain(CANARY);
    expect(JSON.stringify(audit)).not.toContain(CANARY);
  });
});

describe("alert channel secrets", () => {
  it("a channel's secrets given through the API are in no answer, file, log line or audit row", async () => {
    const WEBHOOK_SECRET = "canary-Webhook-Secret-91d2e";
    const NTFY_TOKEN = "canary-Ntfy-Token-5a0c7";
    const sinks = await startAlertSinks({ username: "unused", password: "unused-password" });
    const { hits, httpUrl: sinkUrl } = sinks;
    const server = await bootServer();
    servers.push(server);
    dirs.push(server.dataDir);
    try {
      const admin = await signedInAdmin(server);
      const answers: string[] = [];
      const call = async (path: string, input?: unknown, kind: "query" | "mutation" = "mutation") => {
        const res = await admin.call(path, input, kind);
        answers.push(res.text);
        return res;
      };
      const hook = await call("channels.create", {
        kind: "webhook",
        name: "hook",
        settings: { url: `${sinkUrl}/hook` },
        secret: { signingSecret: WEBHOOK_SECRET },
      });
      expect(hook.status).toBe(200);
      const ntfy = await call("channels.create", {
        kind: "ntfy",
        name: "refusing ntfy",
        settings: { serverUrl: `${sinkUrl}/refuse`, topic: "t" },
        secret: { token: NTFY_TOKEN },
      });
      const idOf = (res: { body: { result?: { data: unknown } } }) =>
        (res.body.result?.data as { id?: string } | undefined)?.id ?? "";
      const test = await call("channels.test", { channelId: idOf(ntfy) });
      expect(test.body.result?.data).toMatchObject({ ok: false, error: "the ntfy server answered HTTP 401" });
      const signed = await call("channels.test", { channelId: idOf(hook) });
      expect(signed.body.result?.data).toMatchObject({ ok: true });
      await call("channels.list", undefined, "query");
      expect(hits.find((h) => h.path === "/refuse/t")?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
      const delivered = hits.find((h) => h.path === "/hook");
      expect(
        verifyWebhookSignature(delivered?.headers["x-restic-manager-signature"], delivered?.body ?? "", WEBHOOK_SECRET),
      ).toBe(true);

      const audit = await server.core.db.select().from(auditLog);
      await server.close();
      for (const canary of [WEBHOOK_SECRET, NTFY_TOKEN]) {
        for (const file of readdirSync(server.dataDir)) {
          expect(readFileSync(join(server.dataDir, file)).includes(Buffer.from(canary)), `${file} has it`).toBe(false);
        }
        expect(answers.join("\n")).not.toContain(canary);
        expect(server.logs.join("\n")).not.toContain(canary);
        expect(JSON.stringify(audit)).not.toContain(canary);
      }
    } finally {
      await sinks.close();
    }
  });
});

describe("secret key file", () => {
  it("a restart with another key file refuses clearly; the original key starts again", async () => {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    const first = await bootServer({ dataDir });
    await first.close();
    const original = readFileSync(join(dataDir, "secret.key"));

    const otherKey = join(dataDir, "other.key");
    writeFileSync(otherKey, `${Buffer.alloc(32, 9).toString("base64")}\n`, { mode: 0o600 });
    const err = await bootServer({ dataDir, env: { RM_SECRET_KEY_FILE: otherKey } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretKeyMismatchError);
    expect((err as Error).message).toContain(otherKey);

    const again = await bootServer({ dataDir });
    servers.push(again);
    expect(readFileSync(join(dataDir, "secret.key")).equals(original)).toBe(true);
  });
});
