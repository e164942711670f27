/**
 * The fleet simulator in its own process, so its CPU is not the console's and not the bench's.
 * Driven over IPC by sim-client.ts: {id, op, args} -> {id, ok, result | error}; with
 * `reportStarted` it also sends {event: "job.started", jobId, at} for every job it starts.
 */
import { readFileSync } from "node:fs";
import { checkFdLimit, FleetSimulator, type FleetSimulatorOptions, type SimIdentity } from "@restic-manager/fleet-sim";

interface InitArgs {
  serverUrl: string;
  identitiesFile: string;
  options?: Partial<Omit<FleetSimulatorOptions, "serverUrl" | "agents">>;
  reportStarted?: boolean;
}

let sim: FleetSimulator | null = null;
let marked: number[] = [];
let connectStartedAt = 0;
let allConnectedAt: number | null = null;

const send = (msg: unknown) => process.send?.(msg);

const ops: Record<string, (args: never) => Promise<unknown> | unknown> = {
  init: (args: InitArgs) => {
    const agents = JSON.parse(readFileSync(args.identitiesFile, "utf8")) as SimIdentity[];
    const fd = checkFdLimit(agents.length);
    if (!fd.ok) {
      throw new Error(fd.canRaise ? `raise the soft fd limit to ${fd.want} (ulimit -n ${fd.want})` : fd.advice);
    }
    sim = new FleetSimulator({ serverUrl: args.serverUrl, agents, ...args.options });
    if (args.reportStarted) {
      sim.on("job.started", (_agent, jobId, at) => send({ event: "job.started", jobId, at }));
    }
    connectStartedAt = Date.now();
    const timer = setInterval(() => {
      if (sim && sim.metrics.connected >= sim.agents.length) {
        allConnectedAt = Date.now();
        clearInterval(timer);
      }
    }, 20);
    void sim.start();
    return { agents: agents.length };
  },
  snapshot: () => {
    if (!sim) throw new Error("not initialised");
    return {
      ...sim.metrics.snapshot(),
      agents: sim.agents.length,
      allConnectedAfterMs: allConnectedAt === null ? null : allConnectedAt - connectStartedAt,
      rssMb: process.memoryUsage().rss / 1e6,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
  },
  /** Remembers each agent's session count; `back` counts agents with a newer session, online. */
  mark: () => {
    marked = sim?.agents.map((a) => a.sessions) ?? [];
    return marked.length;
  },
  back: () => sim?.agents.filter((a, i) => a.online && a.sessions > (marked[i] ?? 0)).length ?? 0,
  resetSamples: () => {
    if (!sim) return null;
    const m = sim.metrics;
    for (const s of [m.dispatchLatency, m.ackLatency, m.logAckLatency, m.connectLatency]) s.reset();
    return null;
  },
  stop: async () => {
    await sim?.stop();
    setTimeout(() => process.exit(0), 50);
    return null;
  },
};

process.on("message", async (msg: { id: number; op: string; args?: unknown }) => {
  const fn = ops[msg.op];
  try {
    if (!fn) throw new Error(`unknown op ${msg.op}`);
    send({ id: msg.id, ok: true, result: await fn(msg.args as never) });
  } catch (e) {
    send({ id: msg.id, ok: false, error: (e as Error).message });
  }
});
process.on("disconnect", () => process.exit(0));
process.on("uncaughtException", (e) => {
  console.error(`[sim-child] uncaught: ${e.stack ?? e.message}`);
  process.exit(70);
});
send({ ready: true });
