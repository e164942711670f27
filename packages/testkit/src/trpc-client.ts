/**
 * A minimal browser-like tRPC client over plain fetch: keeps the session cookie, sends the
 * CSRF header and Origin, wraps inputs in superjson's envelope. Tests use it to drive the API
 * exactly as the SPA or a script does.
 */
/** A minimal browser-like client: keeps the session cookie, sends the CSRF header and Origin. */
export class TestClient {
  cookie: string | null = null;

  constructor(
    readonly baseUrl: string,
    readonly options: { origin?: string | null; csrfHeader?: boolean; bearer?: string } = {},
  ) {}

  async call(path: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.options.csrfHeader !== false) headers["x-rm-csrf"] = "1";
    const origin = this.options.origin === undefined ? new URL(this.baseUrl).origin : this.options.origin;
    if (origin) headers.origin = origin;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.options.bearer) headers.authorization = `Bearer ${this.options.bearer}`;
    const url =
      kind === "query"
        ? `${this.baseUrl}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`
        : `${this.baseUrl}/trpc/${path}`;
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers,
      // The API uses superjson; plain JSON values need only the { json } envelope.
      body: kind === "mutation" ? JSON.stringify({ json: input ?? null }) : undefined,
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const [pair] = setCookie.split(";");
      this.cookie = pair?.endsWith("=") ? null : (pair ?? null);
    }
    const text = await res.text();
    const body = JSON.parse(text) as TrpcBody;
    if (body.result) body.result.data = (body.result.data as { json: unknown }).json;
    if (body.error) body.error = (body.error as unknown as { json: TrpcBody["error"] }).json;
    return { status: res.status, headers: res.headers, text, body };
  }

  query(path: string, input?: unknown) {
    return this.call(path, input, "query");
  }
}

export interface TrpcBody {
  result?: { data: unknown };
  error?: { message: string; data?: { code: string; httpStatus: number } };
}

export const tokenFromSetupUrl = (url: string | null) => new URL(url ?? "http://x/").searchParams.get("token") ?? "";

export const ADMIN_PASSWORD = "correct horse battery staple";

/** Completes first-run setup through the API and returns the signed-in admin. */
export async function setupAdmin(baseUrl: string, setupUrl: string | null, origin = new URL(baseUrl).origin) {
  const client = new TestClient(baseUrl, { origin });
  const res = await client.call("auth.setup", {
    token: tokenFromSetupUrl(setupUrl),
    username: "admin",
    password: ADMIN_PASSWORD,
  });
  if (res.status !== 200) throw new Error(`setup failed: ${res.text}`);
  return client;
}

/** Polls a query until `predicate` holds or `timeoutMs` passes. */
export async function waitFor<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (predicate(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}`,
  );
}
