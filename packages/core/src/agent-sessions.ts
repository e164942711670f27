/**
 * What happens when an agent connects and while it stays: its hello (record it, then push the
 * config and schedules it lacks and start what waited for it), its heartbeats, and pushes when
 * its credentials or schedules change. The gateway only frames messages and keeps sockets.
 */
import type { AgentPayload } from "@restic-manager/protocol";
import type { AgentLink } from "./agent-link.js";
import { connectWork } from "./connect-work.js";
import type { EventBus } from "./events.js";
import type { HostService } from "./hosts.js";
import type { JobDispatcher, JobEvents, RepositoryReports, RunNow } from "./jobs/index.js";
import type { ScheduleService } from "./schedules.js";

export interface AgentSessionDeps {
  db: Parameters<typeof connectWork>[0];
  link: AgentLink;
  events: EventBus;
  hosts: HostService;
  schedules: ScheduleService;
  dispatcher: JobDispatcher;
  runNow: RunNow;
  jobEvents: JobEvents;
  reports: RepositoryReports;
  now: () => number;
}

export class AgentSessions {
  readonly #offs: (() => void)[];

  constructor(private readonly deps: AgentSessionDeps) {
    this.#offs = [
      deps.events.on("host.credentials_changed", ({ hostId }) => void this.pushConfig(hostId).catch(() => undefined)),
      deps.events.on("host.schedules_changed", ({ hostId }) => void this.pushSchedules(hostId).catch(() => undefined)),
    ];
  }

  /**
   * Records a hello. Returns what the agent already holds, for `connected()`; the gateway
   * answers `hello.ok` and registers the connection in between.
   */
  hello(hostId: string, hello: AgentPayload<"hello">) {
    return this.deps.hosts.recordHello(hostId, hello);
  }

  /**
   * After `hello.ok`: pushes what the agent lacks and starts what waited for this host, one job
   * after another. A reconnecting agent that holds the current config and schedules is not sent
   * them again (10k agents back after a console restart would be 20k pushes, acks and writes);
   * one read says which of the connect work has anything to do.
   */
  async connected(hostId: string, held: { configCurrent: boolean; schedulesCurrent: boolean }): Promise<void> {
    const { db, runNow, dispatcher, schedules, now } = this.deps;
    if (!held.configCurrent) await this.pushConfig(hostId);
    if (!held.schedulesCurrent) await this.pushSchedules(hostId);
    const work = await connectWork(db, hostId, now());
    if (!work.initialised) await runNow.initIfNeeded(hostId);
    if (work.activeJobs) await dispatcher.dispatchNext(hostId);
    if (work.unaccountedSchedules) await schedules.account({ hostId, untilNow: true });
    if (work.unaccountedSchedules || work.pendingRuns) await schedules.drainPending({ hostId });
  }

  /** A heartbeat: the host is alive; jobs it no longer runs (nor holds events of) are interrupted. */
  async heartbeat(hostId: string, beat: AgentPayload<"heartbeat">): Promise<void> {
    await this.deps.hosts.recordHeartbeat(hostId);
    this.deps.reports.onHeartbeat(hostId);
    await this.deps.jobEvents.reconcileRunning(hostId, beat.runningJobIds, beat.heldJobIds);
  }

  async pushConfig(hostId: string): Promise<void> {
    if (!this.deps.link.isConnected(hostId)) return;
    const config = await this.deps.hosts.credentialsFor(hostId);
    if (config) this.deps.link.send(hostId, "config.update", config);
  }

  async pushSchedules(hostId: string): Promise<void> {
    if (!this.deps.link.isConnected(hostId)) return;
    const set = await this.deps.schedules.scheduleSetFor(hostId);
    if (set) this.deps.link.send(hostId, "schedule.set", set);
  }

  close(): void {
    for (const off of this.#offs) off();
  }
}
