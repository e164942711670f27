import { EventEmitter } from "node:events";
import type { JobProgress } from "@restic-manager/protocol";

/** What happened inside the console that another part (gateway, live views) reacts to. */
export interface DomainEvents {
  /** An agent connected, disconnected or was marked offline by the sweeper. */
  "host.status": { hostId: string; status: "online" | "offline" | "revoked" };
  /** An enrolment token was exchanged for a host. */
  "host.enrolled": { hostId: string; enrollmentTokenId: string };
  /** The host's bearer no longer works; its socket must close now. */
  "host.revoked": { hostId: string };
  /** Repository credentials changed; a connected agent gets a config.update. */
  "host.credentials_changed": { hostId: string };
  /** A job changed status (or its stats). */
  "job.updated": { jobId: string; hostId: string; status: string };
  /** Log lines of a job were committed, in order. */
  "job.logs": { jobId: string; lines: JobLogLine[] };
  /** A job's latest progress. Not every update is persisted before it is published. */
  "job.progress": { jobId: string; progress: JobProgress };
  /** The host's schedule set changed (a connected agent gets schedule.set) or its agent acked one. */
  "host.schedules_changed": { hostId: string };
  /** Host settings shown on its pages changed (bandwidth, maintenance, pending runs). */
  "host.changed": { hostId: string };
  /** A host's snapshot list or repository stats changed. */
  "host.snapshots": { hostId: string };
  /** A scheduled catch-up run was given up after its retries. */
  "schedule.run_abandoned": { hostId: string; scheduleId: string; sourceGroupId: string; reason: string };
  /** An alert was opened, repeated, acknowledged or resolved. */
  "alert.changed": { alertId: string; hostId: string };
}

export interface JobLogLine {
  seq: number;
  at: number;
  stream: "stdout" | "stderr" | "system";
  line: string;
}

type Listener<K extends keyof DomainEvents> = (event: DomainEvents[K]) => void;

/** In-process, synchronous, typed. One server process means no broker is needed. */
export class EventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  emit<K extends keyof DomainEvents>(name: K, event: DomainEvents[K]): void {
    this.#emitter.emit(name, event);
  }

  /** Returns the unsubscribe function. */
  on<K extends keyof DomainEvents>(name: K, listener: Listener<K>): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }
}
