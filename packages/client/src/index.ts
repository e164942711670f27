/**
 * `@restic-manager/client`: script the console with an API token.
 *
 *   const rm = createClient("https://backup.example.com", process.env.RM_TOKEN);
 *   const { items } = await rm.hosts.list.query({ status: "attention" });
 *
 * The API's types come bundled (dist/index.d.ts), so a script needs no server source. A token
 * acts with its owner's role; bearer calls carry no cookie, so they need no CSRF header.
 */
import type { AppRouter } from "@restic-manager/api";
import { createTRPCClient, httpLink, type TRPCClient } from "@trpc/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import superjson from "superjson";

export type { AppRouter };
/** What each procedure takes, e.g. `RouterInputs["jobs"]["list"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** What each procedure answers, e.g. `RouterOutputs["hosts"]["list"]["items"][number]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type Client = TRPCClient<AppRouter>;
export type Job = RouterOutputs["jobs"]["get"];

export interface ClientOptions {
  /** Another fetch (a proxy agent, a test double). Defaults to the global one. */
  fetch?: typeof fetch;
}

/** A client for the console at `url` (its public URL), acting as the owner of `token`. */
export function createClient(url: string, token: string, options: ClientOptions = {}): Client {
  if (!token) throw new Error("createClient needs an API token: create one under Settings > API tokens.");
  const base = url.replace(/\/+$/, "");
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${base}/trpc`,
        // The console speaks superjson: Dates arrive as Dates.
        transformer: superjson,
        headers: { authorization: `Bearer ${token}` },
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

/** Queued or running: a job in any other status has ended. */
const isActive = (status: Job["status"]) => status === "queued" || status === "running";

/**
 * Follows a job to its end by polling: hands every new log line to `onLine` as it appears and
 * resolves with the finished job. (Browsers get the same live over jobs.watch.)
 */
export async function followJob(
  client: Client,
  jobId: string,
  options: { onLine?: (line: RouterOutputs["jobs"]["logs"]["items"][number]) => void; intervalMs?: number } = {},
): Promise<Job> {
  let cursor: string | null = null;
  for (;;) {
    const job = await client.jobs.get.query({ jobId });
    for (;;) {
      const page: RouterOutputs["jobs"]["logs"] = await client.jobs.logs.query({ jobId, cursor, limit: 1000 });
      for (const line of page.items) options.onLine?.(line);
      const last = page.items.at(-1);
      if (last) cursor = String(last.seq);
      if (page.nextCursor === null) break;
    }
    if (!isActive(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
