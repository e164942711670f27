/**
 * The delivery queue. Raising an alert only inserts delivery rows (one per routed channel) and
 * returns; lanes send them in the background, one lane per channel, so a dead channel delays no
 * other. Each attempt is its own row; a failed attempt queues the next one with exponential
 * backoff until `maxAttempts`. Rows survive a restart: `start()` picks up what was queued.
 */
import { alertChannels, alertDeliveries, alerts, type Database, hosts, newId } from "@restic-manager/db";
import type { AlertDeliveryEvent } from "@restic-manager/protocol";
import { and, asc, desc, eq, lte, min, sql } from "drizzle-orm";
import { type AlertChannels, routes } from "./channels.js";
import { type AlertNotice, noticeText, webhookBody } from "./message.js";
import { selectAlerts } from "./select.js";
import { send } from "./senders.js";

export interface DeliveryOptions {
  /** The first retry waits this long; each further one twice as long (capped at an hour). */
  retryBaseMs: number;
  maxAttempts: number;
  attemptTimeoutMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  retryBaseMs: 30_000,
  maxAttempts: 6,
  attemptTimeoutMs: 10_000,
};

const MAX_BACKOFF_MS = 60 * 60 * 1000;

export class DeliveryQueue {
  readonly #lanes = new Set<string>();
  readonly #running = new Set<Promise<unknown>>();
  #wake: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(
    private readonly db: Database,
    private readonly channels: AlertChannels,
    private readonly options: DeliveryOptions,
    private readonly now: () => number,
  ) {}

  /** Requeues attempts a previous process left mid-send, then sends what is due. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.db.update(alertDeliveries).set({ status: "queued" }).where(eq(alertDeliveries.status, "sending"));
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = null;
  }

  /** Resolves when no lane is sending (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size) await Promise.allSettled([...this.#running]);
  }

  /** Queues `event` of the alert for every enabled channel its routing matches. Returns how many. */
  async enqueue(alertId: string, event: AlertDeliveryEvent): Promise<number> {
    const [alert] = await this.db
      .select({ rule: alerts.rule, severity: alerts.severity, hostTags: hosts.tags })
      .from(alerts)
      .innerJoin(hosts, eq(hosts.id, alerts.hostId))
      .where(eq(alerts.id, alertId));
    if (!alert) return 0;
    const targets = (await this.channels.enabled()).filter((c) => routes(c, alert));
    const at = new Date(this.now());
    if (targets.length) {
      await this.db
        .insert(alertDeliveries)
        .values(targets.map((c) => ({ id: newId(), alertId, channelId: c.id, event, nextAttemptAt: at })));
    }
    await this.db.update(alerts).set({ lastNotifiedAt: at }).where(eq(alerts.id, alertId));
    this.kick();
    return targets.length;
  }

  /** "Send test": one attempt now, recorded like any other, its outcome returned. */
  async sendTest(channelId: string): Promise<{ ok: boolean; error: string | null; deliveryId: string }> {
    const id = newId();
    await this.db.insert(alertDeliveries).values({
      id,
      alertId: null,
      channelId,
      event: "test",
      status: "sending",
      nextAttemptAt: new Date(this.now()),
    });
    const row = (await this.db.select().from(alertDeliveries).where(eq(alertDeliveries.id, id)))[0];
    if (!row) throw new Error("test delivery vanished");
    const error = await this.#attempt(row, false);
    return { ok: error === null, error, deliveryId: id };
  }

  /** An alert's delivery log, newest first. */
  log(alertId: string) {
    return this.db
      .select({
        id: alertDeliveries.id,
        channelId: alertDeliveries.channelId,
        channelName: alertChannels.name,
        event: alertDeliveries.event,
        attempt: alertDeliveries.attempt,
        status: alertDeliveries.status,
        error: alertDeliveries.error,
        nextAttemptAt: alertDeliveries.nextAttemptAt,
        createdAt: alertDeliveries.createdAt,
        finishedAt: alertDeliveries.finishedAt,
      })
      .from(alertDeliveries)
      .innerJoin(alertChannels, eq(alertChannels.id, alertDeliveries.channelId))
      .where(eq(alertDeliveries.alertId, alertId))
      .orderBy(desc(alertDeliveries.id));
  }

  /** Starts a lane for every channel with a due attempt and arms a timer for the next one. */
  kick(): void {
    if (this.#stopped) return;
    this.#track(this.#pump());
  }

  #track(p: Promise<unknown>) {
    const tracked = p.catch(() => undefined).finally(() => this.#running.delete(tracked));
    this.#running.add(tracked);
  }

  async #pump(): Promise<void> {
    const now = this.now();
    const waiting = await this.db
      .select({ channelId: alertDeliveries.channelId, due: min(alertDeliveries.nextAttemptAt) })
      .from(alertDeliveries)
      .where(eq(alertDeliveries.status, "queued"))
      .groupBy(alertDeliveries.channelId);
    let next = Number.POSITIVE_INFINITY;
    for (const w of waiting) {
      const due = w.due ? new Date(w.due).getTime() : now;
      if (due <= now) {
        if (!this.#lanes.has(w.channelId)) this.#track(this.#lane(w.channelId));
      } else next = Math.min(next, due);
    }
    if (this.#wake) clearTimeout(this.#wake);
    this.#wake = null;
    if (Number.isFinite(next) && !this.#stopped) {
      this.#wake = setTimeout(() => this.kick(), Math.max(50, next - now));
      this.#wake.unref();
    }
  }

  /** Sends the channel's due attempts one at a time, oldest first. */
  async #lane(channelId: string): Promise<void> {
    this.#lanes.add(channelId);
    try {
      while (!this.#stopped) {
        const [row] = await this.db
          .select()
          .from(alertDeliveries)
          .where(
            and(
              eq(alertDeliveries.channelId, channelId),
              eq(alertDeliveries.status, "queued"),
              lte(alertDeliveries.nextAttemptAt, new Date(this.now())),
            ),
          )
          .orderBy(asc(alertDeliveries.nextAttemptAt), asc(alertDeliveries.id))
          .limit(1);
        if (!row) break;
        await this.db.update(alertDeliveries).set({ status: "sending" }).where(eq(alertDeliveries.id, row.id));
        await this.#attempt(row);
      }
    } finally {
      this.#lanes.delete(channelId);
    }
    // A failed attempt queued a retry for later: arm the timer for it.
    this.kick();
  }

  /** One attempt of one row; returns the error message or null. */
  async #attempt(row: typeof alertDeliveries.$inferSelect, retry = true): Promise<string | null> {
    const channel = await this.channels.config(row.channelId);
    if (!channel) return "the channel was deleted";
    // A channel disabled while its attempts waited sends nothing more (a test still goes out).
    if (!channel.enabled && retry) {
      const error = "not sent: the channel was disabled";
      await this.db
        .update(alertDeliveries)
        .set({ status: "failed", error, finishedAt: new Date(this.now()) })
        .where(eq(alertDeliveries.id, row.id));
      return error;
    }
    let error: string | null = null;
    try {
      const notice = row.alertId ? await this.#notice(row.alertId) : null;
      if (row.alertId && !notice) throw new Error("the alert was deleted");
      const sentAt = this.now();
      await send(channel.config, {
        body: JSON.stringify(webhookBody(row.event, notice, sentAt)),
        notice: noticeText(row.event, notice),
        severity: notice?.severity ?? null,
        resolved: row.event === "resolved",
        event: row.event,
        deliveryId: row.id,
        timestamp: Math.floor(sentAt / 1000),
        timeoutMs: this.options.attemptTimeoutMs,
      });
    } catch (e) {
      error = redact((e as Error).message || String(e), channel.secretValues).slice(0, 1000);
    }
    const at = new Date(this.now());
    await this.db.transaction(async (tx) => {
      await tx
        .update(alertDeliveries)
        .set({ status: error ? "failed" : "delivered", error, finishedAt: at })
        .where(eq(alertDeliveries.id, row.id));
      await tx
        .update(alertChannels)
        .set(
          error
            ? { consecutiveFailures: sql`${alertChannels.consecutiveFailures} + 1`, lastError: error }
            : { consecutiveFailures: 0, lastError: null, lastDeliveredAt: at },
        )
        .where(eq(alertChannels.id, row.channelId));
      if (error && retry && row.attempt < this.options.maxAttempts) {
        const delay = Math.min(this.options.retryBaseMs * 2 ** (row.attempt - 1), MAX_BACKOFF_MS);
        await tx.insert(alertDeliveries).values({
          id: newId(),
          alertId: row.alertId,
          channelId: row.channelId,
          event: row.event,
          attempt: row.attempt + 1,
          nextAttemptAt: new Date(at.getTime() + delay),
        });
      }
    });
    return error;
  }

  async #notice(alertId: string): Promise<AlertNotice | null> {
    const [row] = await selectAlerts(this.db).where(eq(alerts.id, alertId));
    return row ?? null;
  }
}

/** An SMTP or HTTP error could echo a credential back; it never reaches a row or a log. */
function redact(message: string, secrets: string[]): string {
  let out = message;
  for (const s of secrets) out = out.split(s).join("[secret]");
  return out;
}
