import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AgentProcess } from "./agent-process.js";
import { type ConsoleProcess, startConsole } from "./console-process.js";
import { setupAdmin, type TestClient, waitFor } from "./trpc-client.js";

type TrpcResponse = { body: { result?: { data: unknown }; error?: { message: string } } };

/** The `data` of a tRPC answer, or its error message thrown. */
export async function data<T>(response: Promise<TrpcResponse>): Promise<T> {
  const res = await response;
  if (res.body.error) throw new Error(res.body.error.message);
  return res.body.result?.data as T;
}

/**
 * Enrols the compiled agent in `dir` against the console and starts it: the host is online and,
 * when `waitForInit`, its repository initialised when this resolves.
 */
export async function enrollRunningAgent(options: {
  consoleUrl: string;
  admin: TestClient;
  dir: string;
  hostname: string;
  repoUrl: string;
  repoPassword: string;
  waitForInit?: boolean;
}): Promise<{ agent: AgentProcess; hostId: string }> {
  const { admin } = options;
  const created = await data<{ token: string }>(
    admin.call("enrollment.create", {
      hostname: options.hostname,
      repoUrl: options.repoUrl,
      repoPassword: options.repoPassword,
    }),
  );
  const agent = new AgentProcess(options.dir);
  mkdirSync(agent.dir, { recursive: true });
  const enrolled = await agent.enroll(options.consoleUrl, created.token);
  if (enrolled.status !== 0) throw new Error(`enrol failed (${enrolled.status}): ${enrolled.stderr}`);
  agent.start();
  const hosts = await waitFor(
    async () =>
      (
        await data<{ items: { id: string; name: string; status: string }[] }>(
          admin.query("hosts.list", { search: options.hostname, limit: 200 }),
        )
      ).items,
    (h) => h.some((x) => x.name === options.hostname && x.status === "online"),
    30_000,
    `${options.hostname} to come online`,
  );
  const hostId = hosts.find((h) => h.name === options.hostname)?.id ?? "";
  if (options.waitForInit) {
    const init = await waitFor(
      () => data<{ status: string } | null>(admin.query("hosts.initStatus", { hostId })),
      (j) => j?.status === "succeeded" || j?.status === "failed",
      60_000,
      "the repository to be initialised",
    );
    if (init?.status !== "succeeded") throw new Error(`restic init failed on ${options.hostname}`);
  }
  return { agent, hostId };
}

export interface ConsoleWithAgent {
  rm: ConsoleProcess;
  admin: TestClient;
  agent: AgentProcess;
  hostId: string;
  /** The host's `default` source group. */
  groupId: string;
}

/**
 * The usual start of an end-to-end test: the built console as a process, its admin, and one
 * compiled agent enrolled and running (its repository `<dir>/repo` unless given, initialised),
 * with the default group backing up `paths` when given.
 */
export async function consoleWithAgent(options: {
  dir: string;
  hostname: string;
  repoPassword: string;
  repoUrl?: string;
  paths?: string[];
  console?: Parameters<typeof startConsole>[0];
}): Promise<ConsoleWithAgent> {
  const rm = await startConsole(options.console);
  const admin = await setupAdmin(rm.url, rm.setupUrl);
  const { agent, hostId } = await enrollRunningAgent({
    consoleUrl: rm.url,
    admin,
    dir: join(options.dir, "agent"),
    hostname: options.hostname,
    repoUrl: options.repoUrl ?? join(options.dir, "repo"),
    repoPassword: options.repoPassword,
    waitForInit: true,
  });
  const groups = await data<{ items: { id: string }[] }>(admin.query("sources.list", { hostId }));
  const groupId = groups.items[0]?.id ?? "";
  if (options.paths) {
    await data(
      admin.call("sources.update", { groupId, name: "default", includePaths: options.paths, excludePatterns: [] }),
    );
  }
  return { rm, admin, agent, hostId, groupId };
}
