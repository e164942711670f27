/**
 * Getting N simulated hosts enrolled through the real API: enrolment tokens are minted as an
 * operator (tRPC `enrollment.create`), then exchanged at POST /api/agents/enroll. The console
 * rate-limits enrolment per source address (120/min), so exchanges are spread over many 127.x
 * addresses (`enrollSourceAddresses`).
 */
import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import { ENROLL_PATH, type EnrollResponse } from "@restic-manager/protocol";
import { TestClient } from "@restic-manager/testkit";
import type { SimIdentity } from "./simulator.js";

export const simHostname = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, "0")}`;

/** Signs in with a username and password and returns the client holding the session. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<TestClient> {
  const client = new TestClient(baseUrl);
  const res = await client.call("auth.signIn", { username, password });
  if (res.status !== 200) throw new Error(`sign-in as ${username} failed (${res.status}): ${res.text.slice(0, 300)}`);
  return client;
}

async function pool<T, R>(items: T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

export interface TokenRequest {
  hostname: string;
  token: string;
}

/** Mints one enrolment token per host name through the API (each one audit-logged, valid 1 h). */
export async function createEnrollmentTokens(
  client: TestClient,
  count: number,
  options: { prefix?: string; concurrency?: number; repoUrl?: string; repoPassword?: string } = {},
): Promise<TokenRequest[]> {
  const prefix = options.prefix ?? "sim";
  const names = Array.from({ length: count }, (_, i) => simHostname(prefix, i));
  return pool(names, options.concurrency ?? 8, async (hostname) => {
    const res = await client.call("enrollment.create", {
      hostname,
      repoUrl: options.repoUrl ?? `/srv/restic/${hostname}`,
      repoPassword: options.repoPassword ?? "simulated-repository-password",
    });
    const data = res.body.result?.data as { token?: string } | undefined;
    if (res.status !== 200 || !data?.token) {
      throw new Error(`enrollment.create for ${hostname} failed (${res.status}): ${res.text.slice(0, 300)}`);
    }
    return { hostname, token: data.token };
  });
}

/** 127.0.1.x addresses, one per 100 enrolments, to stay under the per-address enrolment limit. */
export function enrollSourceAddresses(n: number): string[] {
  const k = Math.max(1, Math.ceil(n / 100));
  return Array.from({ length: k }, (_, i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

function postJson(
  url: URL,
  body: unknown,
  localAddress: string,
): Promise<{ status: number; text: string; retryAfter: number | null }> {
  const data = JSON.stringify(body);
  const send = url.protocol === "https:" ? httpsRequest : request;
  return new Promise((done, fail) => {
    const req = send(
      url,
      {
        method: "POST",
        localAddress,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => {
          const ra = Number(res.headers["retry-after"]);
          done({ status: res.statusCode ?? 0, text, retryAfter: Number.isFinite(ra) ? ra : null });
        });
      },
    );
    req.on("error", fail);
    req.end(data);
  });
}

/** Exchanges enrolment tokens for {hostId, agentToken}; retries 429 after retry-after. */
export async function enrollAgents(
  serverUrl: string,
  tokens: TokenRequest[],
  options: { concurrency?: number; sourceAddresses?: string[] } = {},
): Promise<SimIdentity[]> {
  const url = new URL(ENROLL_PATH, serverUrl);
  const addrs = options.sourceAddresses ?? enrollSourceAddresses(tokens.length);
  return pool(tokens, options.concurrency ?? 16, async ({ hostname, token }, i) => {
    const localAddress = addrs[i % addrs.length] ?? "127.0.0.1";
    for (let attempt = 0; ; attempt++) {
      const res = await postJson(
        url,
        { token, hostname, os: "linux", arch: "x64", agentVersion: "0.1.0-sim" },
        localAddress,
      );
      if (res.status === 200) {
        const body = JSON.parse(res.text) as EnrollResponse;
        return { hostId: body.hostId, agentToken: body.agentToken, hostname };
      }
      if (res.status === 429 && attempt < 10) {
        await new Promise((r) => setTimeout(r, (res.retryAfter ?? 5) * 1000));
        continue;
      }
      throw new Error(`enrolment of ${hostname} failed (${res.status}): ${res.text.slice(0, 300)}`);
    }
  });
}

/** Tokens + enrolment in one go. */
export async function enrollFleet(
  serverUrl: string,
  client: TestClient,
  count: number,
  options: { prefix?: string; concurrency?: number } = {},
): Promise<SimIdentity[]> {
  const tokens = await createEnrollmentTokens(client, count, options);
  return enrollAgents(serverUrl, tokens, { concurrency: options.concurrency ?? 16 });
}
