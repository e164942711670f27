/** Counters and latency samples the simulator keeps; benchmarks read them. */

/** Keeps at most `cap` samples (reservoir sampling past the cap), enough for percentiles. */
export class Samples {
  readonly values: number[] = [];
  count = 0;
  constructor(readonly cap = 100_000) {}

  add(v: number): void {
    this.count++;
    if (this.values.length < this.cap) this.values.push(v);
    else {
      const i = Math.floor(Math.random() * this.count);
      if (i < this.cap) this.values[i] = v;
    }
  }

  percentile(p: number): number | null {
    if (this.values.length === 0) return null;
    const sorted = [...this.values].sort((a, b) => a - b);
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx] ?? null;
  }

  reset(): void {
    this.values.length = 0;
    this.count = 0;
  }
}

export class SimMetrics {
  /** Agents whose socket has completed hello/hello.ok right now. */
  connected = 0;
  /** hello.ok received, all time (first connections and reconnections). */
  sessions = 0;
  /** Connections made after a previous session ended. */
  reconnects = 0;
  /** Connection attempts that failed before hello.ok (refused, 401, 503, timeouts). */
  connectFailures = 0;
  messagesSent = 0;
  messagesReceived = 0;
  logLinesSent = 0;
  /** Log lines covered by a job.ack (committed by the console). */
  logLinesAcked = 0;
  /** schedule.set messages received (each answered with schedule.ack). */
  scheduleSets = 0;
  /** Unacked job events sent again after a reconnect. */
  eventsReplayed = 0;
  commandsReceived = 0;
  jobsFinished = 0;
  /** Agents stopped for good by a fatal close code (revoked, protocol too old). */
  fatal = 0;
  /** command.run receipt -> job.started sent, ms. */
  readonly dispatchLatency = new Samples();
  /** job event sent -> its cumulative job.ack received, ms. */
  readonly ackLatency = new Samples();
  /** log.stream frame sent -> the job.ack covering it, ms (agent send -> committed). */
  readonly logAckLatency = new Samples();
  /** socket open attempt -> hello.ok, ms. */
  readonly connectLatency = new Samples();

  snapshot() {
    const p = (s: Samples) => ({ n: s.count, p50: s.percentile(50), p95: s.percentile(95), p99: s.percentile(99) });
    return {
      connected: this.connected,
      sessions: this.sessions,
      reconnects: this.reconnects,
      connectFailures: this.connectFailures,
      messagesSent: this.messagesSent,
      messagesReceived: this.messagesReceived,
      logLinesSent: this.logLinesSent,
      logLinesAcked: this.logLinesAcked,
      scheduleSets: this.scheduleSets,
      eventsReplayed: this.eventsReplayed,
      commandsReceived: this.commandsReceived,
      jobsFinished: this.jobsFinished,
      fatal: this.fatal,
      dispatchLatencyMs: p(this.dispatchLatency),
      ackLatencyMs: p(this.ackLatency),
      logAckLatencyMs: p(this.logAckLatency),
      connectLatencyMs: p(this.connectLatency),
    };
  }
}
