/** Parent side of sim-child.ts: starts the simulator process and calls it. */
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FleetSimulatorOptions, SimIdentity, SimMetrics } from "@restic-manager/fleet-sim";
import { track } from "./children.js";

export type SimSnapshot = ReturnType<SimMetrics["snapshot"]> & {
  agents: number;
  allConnectedAfterMs: number | null;
  rssMb: number;
  cpuSeconds: number;
};

export class SimProcess {
  readonly child: ChildProcess;
  readonly #pending = new Map<number, { done: (v: unknown) => void; fail: (e: Error) => void }>();
  #next = 1;
  readonly ready: Promise<void>;
  /** job.started events (with reportStarted): jobId -> epoch ms (sub-ms). */
  readonly started = new Map<string, number>();
  readonly #startWaiters = new Map<string, (at: number) => void>();
  /** Set when the simulator process has gone away. */
  exited: Error | null = null;

  constructor() {
    this.child = fork(resolve(import.meta.dirname, "sim-child.ts"), [], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    track(this.child);
    this.ready = new Promise((done, fail) => {
      this.child.once("exit", (code, signal) => {
        const error = new Error(`the simulator process exited (${signal ?? `code ${code}`})`);
        fail(error);
        // Nothing will answer any more: fail what waits instead of hanging the run.
        for (const p of this.#pending.values()) p.fail(error);
        this.#pending.clear();
        this.exited = error;
      });
      this.child.on("message", (raw) => {
        const msg = raw as {
          ready?: boolean;
          id?: number;
          ok?: boolean;
          result?: unknown;
          error?: string;
          event?: string;
          jobId?: string;
          at?: number;
        };
        if (msg.ready) return done();
        if (msg.event === "job.started" && msg.jobId && msg.at) {
          this.started.set(msg.jobId, msg.at);
          this.#startWaiters.get(msg.jobId)?.(msg.at);
          return;
        }
        const p = msg.id === undefined ? undefined : this.#pending.get(msg.id);
        if (!p || msg.id === undefined) return;
        this.#pending.delete(msg.id);
        if (msg.ok) p.done(msg.result);
        else p.fail(new Error(msg.error));
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.#next++;
    return new Promise<T>((done, fail) => {
      this.#pending.set(id, { done: done as (v: unknown) => void, fail });
      this.child.send({ id, op, args });
    });
  }

  async init(
    serverUrl: string,
    identities: SimIdentity[],
    dir: string,
    options: Partial<Omit<FleetSimulatorOptions, "serverUrl" | "agents">> = {},
    reportStarted = false,
  ) {
    await this.ready;
    const identitiesFile = join(dir, "fleet.json");
    writeFileSync(identitiesFile, JSON.stringify(identities), { mode: 0o600 });
    return this.call("init", { serverUrl, identitiesFile, options, reportStarted });
  }

  snapshot() {
    return this.call<SimSnapshot>("snapshot");
  }

  /** Resolves with the epoch ms the simulator sent job.started for `jobId`. */
  waitStarted(jobId: string, timeoutMs = 30_000): Promise<number> {
    const at = this.started.get(jobId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((done, fail) => {
      const timer = setTimeout(() => {
        this.#startWaiters.delete(jobId);
        fail(new Error(`job ${jobId} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#startWaiters.set(jobId, (t) => {
        clearTimeout(timer);
        this.#startWaiters.delete(jobId);
        done(t);
      });
    });
  }

  async waitConnected(count: number, timeoutMs: number): Promise<SimSnapshot> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const snap = await this.snapshot();
      if (snap.connected >= count) return snap;
      if (Date.now() > deadline) throw new Error(`only ${snap.connected}/${count} agents connected in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once("exit", r));
    await Promise.race([this.call("stop").catch(() => null), new Promise((r) => setTimeout(r, 15_000))]);
    const t = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
  }
}
