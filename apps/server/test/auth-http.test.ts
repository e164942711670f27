import { HTTP_ROUTES } from "@restic-manager/api";
import { afterEach, describe, expect, it } from "vitest";
import { routesOf } from "../src/http/server.js";
import { bootServer, removeDir, TestClient, type TestServer, tokenFromSetupUrl } from "./harness.js";

const PASSWORD = "correct horse battery staple";

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) {
    await s.close();
    removeDir(s.dataDir);
  }
  servers = [];
});

async function boot(dataDir?: string, env?: Record<string, string>) {
  const s = await bootServer({ dataDir, env });
  servers.push(s);
  return s;
}

async function setupAdmin(server: TestServer) {
  const client = new TestClient(server.url);
  const res = await client.call("auth.setup", {
    token: tokenFromSetupUrl(server.setupUrl),
    username: "admin",
    password: PASSWORD,
  });
  expect(res.status).toBe(200);
  return client;
}

describe("first run and sign-in over HTTP", () => {
  it("logs the setup URL and signs the admin straight in", async () => {
    const server = await boot();
    expect(server.setupUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/setup\?token=setup_/);
    expect(server.logs.some((l) => l.includes(server.setupUrl ?? "missing"))).toBe(true);

    const client = await setupAdmin(server);
    expect(client.cookie).toMatch(/^rm_session=rms_/);
    const status = await client.query("auth.status");
    expect(status.body.result?.data).toMatchObject({
      setupRequired: false,
      user: { username: "admin", role: "admin" },
    });
  });

  it("sets the session cookie HttpOnly and SameSite=Lax, Secure only behind https", async () => {
    const server = await boot();
    const res = await new TestClient(server.url).call("auth.setup", {
      token: tokenFromSetupUrl(server.setupUrl),
      username: "admin",
      password: PASSWORD,
    });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).not.toContain("Secure");

    const https = await boot(undefined, { RM_PUBLIC_URL: "https://backup.example.test" });
    const res2 = await new TestClient(https.listenUrl, { origin: "https://backup.example.test" }).call("auth.setup", {
      token: tokenFromSetupUrl(https.setupUrl),
      username: "admin",
      password: PASSWORD,
    });
    expect(res2.status).toBe(200);
    expect(res2.headers.get("set-cookie")).toContain("Secure");
  });

  it("refuses a wrong setup token with a clear message", async () => {
    const server = await boot();
    const res = await new TestClient(server.url).call("auth.setup", {
      token: "setup_wrong",
      username: "admin",
      password: PASSWORD,
    });
    expect(res.status).toBe(401);
    expect(res.body.error?.message).toMatch(/setup token is not valid/);
  });

  it("gives one message for an unknown user and a wrong password, then rate-limits the 13th try", async () => {
    const server = await boot();
    await setupAdmin(server);
    const client = new TestClient(server.url);
    const unknown = await client.call("auth.signIn", { username: "nobody", password: "whatever-whatever" });
    const wrong = await client.call("auth.signIn", { username: "admin", password: "not the password" });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body.error?.message).toBe(wrong.body.error?.message);

    for (let i = 0; i < 10; i++) {
      expect((await client.call("auth.signIn", { username: "admin", password: `wrong ${i}` })).status).toBe(401);
    }
    const limited = await client.call("auth.signIn", { username: "admin", password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("signs out server-side: the old cookie stops working", async () => {
    const server = await boot();
    const client = await setupAdmin(server);
    const oldCookie = client.cookie;
    expect((await client.call("auth.signOut")).status).toBe(200);
    const replay = new TestClient(server.url);
    replay.cookie = oldCookie;
    const res = await replay.query("apiTokens.list");
    expect(res.status).toBe(401);
  });

  it("issues a new session token at every sign-in", async () => {
    const server = await boot();
    const first = await setupAdmin(server);
    const second = new TestClient(server.url);
    await second.call("auth.signIn", { username: "admin", password: PASSWORD });
    expect(second.cookie).toBeTruthy();
    expect(second.cookie).not.toBe(first.cookie);
  });
});

describe("CSRF", () => {
  it("rejects a cross-origin POST and a POST without the custom header", async () => {
    const server = await boot();
    const admin = await setupAdmin(server);

    const evil = new TestClient(server.url, { origin: "https://evil.example" });
    evil.cookie = admin.cookie;
    const cross = await evil.call("apiTokens.create", { name: "x" });
    expect(cross.status).toBe(403);
    expect(cross.body.error?.message).toMatch(/cross-origin/);

    const noHeader = new TestClient(server.url, { csrfHeader: false });
    noHeader.cookie = admin.cookie;
    const missing = await noHeader.call("apiTokens.create", { name: "x" });
    expect(missing.status).toBe(403);
    expect(missing.body.error?.message).toMatch(/x-rm-csrf/);

    // Sign-in itself is a mutation: a cross-site login form is refused too.
    const login = await new TestClient(server.url, { origin: "https://evil.example" }).call("auth.signIn", {
      username: "admin",
      password: PASSWORD,
    });
    expect(login.status).toBe(403);
  });

  it("lets scripts use an API token by bearer without cookies or CSRF header", async () => {
    const server = await boot();
    const admin = await setupAdmin(server);
    const created = await admin.call("apiTokens.create", { name: "ci script" });
    const token = (created.body.result?.data as { token: string } | undefined)?.token ?? "";
    expect(token).toMatch(/^rmt_/);

    const script = new TestClient(server.url, { bearer: token, csrfHeader: false, origin: null });
    const users = await script.query("users.list");
    expect(users.status).toBe(200);
    const mutation = await script.call("users.create", { username: "ops", password: PASSWORD, role: "operator" });
    expect(mutation.status).toBe(200);

    const bad = new TestClient(server.url, { bearer: "rmt_nope", csrfHeader: false, origin: null });
    expect((await bad.query("users.list")).status).toBe(401);
  });
});

describe("roles", () => {
  it("gives a viewer 403 on an admin procedure, and the body carries no data", async () => {
    const server = await boot();
    const admin = await setupAdmin(server);
    await admin.call("users.create", { username: "viewer1", password: PASSWORD, role: "viewer" });
    const viewer = new TestClient(server.url);
    await viewer.call("auth.signIn", { username: "viewer1", password: PASSWORD });
    const res = await viewer.query("users.list");
    expect(res.status).toBe(403);
    expect(res.body.result).toBeUndefined();
    expect(res.text).not.toContain('admin"');
    expect(res.text).not.toContain("password");
    expect(Object.keys(res.body)).toEqual(["error"]);
  });
});

describe("restart", () => {
  it("keeps users and sessions across a restart", async () => {
    const first = await boot();
    const client = await setupAdmin(first);
    await first.close();
    servers = servers.filter((s) => s !== first);

    const second = await boot(first.dataDir);
    expect(second.setupUrl).toBeNull();
    const again = new TestClient(second.url);
    again.cookie = client.cookie;
    const status = await again.query("auth.status");
    expect(status.body.result?.data).toMatchObject({ user: { username: "admin" } });
  });
});

describe("static SPA and health", () => {
  it("answers /healthz and /readyz, and 404s unknown API paths as JSON", async () => {
    const server = await boot();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const res = await fetch(`${server.url}/api/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});

describe("HTTP routes outside tRPC", () => {
  it("are each in the HTTP_ROUTES matrix, and every entry has a route", async () => {
    const server = await boot();
    const registered = routesOf(server.app);
    const httpEntries = Object.entries(HTTP_ROUTES)
      .filter(([, tier]) => tier !== "agent")
      .map(([route]) => route);
    // tRPC has its own matrix (PERMISSIONS).
    const unlisted = registered.filter((r) => !r.includes(" /trpc"));
    expect(unlisted.filter((r) => !(r in HTTP_ROUTES))).toEqual([]);
    expect(httpEntries.filter((r) => !registered.includes(r))).toEqual([]);
  });
});
