/**
 * Notification channels (admin): webhook, ntfy, SMTP e-mail. Settings are plain; the secret
 * (signing secret, token, password) is one encrypted JSON blob and is never read back out
 * through this service's answers, only `hasSecret`.
 */
import { alertChannels, type Database, newId } from "@restic-manager/db";
import type { AlertChannelKind, AlertRule, AlertSeverity } from "@restic-manager/protocol";
import { desc, eq } from "drizzle-orm";
import { type Actor, writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { SecretBox } from "../secrets.js";
import {
  type ChannelConfig,
  type EmailSettings,
  type NtfySettings,
  SECRET_FIELDS,
  type WebhookSettings,
} from "./senders.js";

/** After this many failed attempts in a row a channel is shown as failing. */
export const CHANNEL_FAILING_AFTER = 3;

export interface ChannelRouting {
  /** Empty: every rule. */
  rules: AlertRule[];
  severities: AlertSeverity[];
  /** Empty: every host; otherwise hosts with at least one of these tags. */
  hostTags: string[];
}

export type ChannelInput = {
  name: string;
  enabled: boolean;
  routing: ChannelRouting;
  /** Absent on update: keep the stored secret. */
  secret?: Record<string, string> | undefined;
} & (
  | { kind: "webhook"; settings: WebhookSettings }
  | { kind: "ntfy"; settings: NtfySettings }
  | { kind: "email"; settings: EmailSettings }
);

type Row = typeof alertChannels.$inferSelect;
const slot = (id: string) => ({ table: "alert_channels", column: "secret_enc", rowId: id });

/** What the API may show of a channel: everything but the secret. */
export function publicChannel(row: Row) {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled,
    settings: row.settings,
    hasSecret: row.secretEnc !== null,
    routing: {
      rules: row.routeRules as AlertRule[],
      severities: row.routeSeverities as AlertSeverity[],
      hostTags: row.routeHostTags,
    },
    consecutiveFailures: row.consecutiveFailures,
    failing: row.consecutiveFailures >= CHANNEL_FAILING_AFTER,
    lastError: row.lastError,
    lastDeliveredAt: row.lastDeliveredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
export type PublicChannel = ReturnType<typeof publicChannel>;

export function routes(
  row: Pick<Row, "routeRules" | "routeSeverities" | "routeHostTags">,
  alert: {
    rule: string;
    severity: string;
    hostTags: string[];
  },
): boolean {
  return (
    (row.routeRules.length === 0 || row.routeRules.includes(alert.rule)) &&
    (row.routeSeverities.length === 0 || row.routeSeverities.includes(alert.severity)) &&
    (row.routeHostTags.length === 0 || row.routeHostTags.some((t) => alert.hostTags.includes(t)))
  );
}

function httpUrl(field: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DomainError(
      "BAD_REQUEST",
      `${field}: "${value}" is not a URL; enter e.g. https://hooks.example.com/restic.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DomainError("BAD_REQUEST", `${field}: only http:// and https:// URLs can receive notifications.`);
  }
}

function validate(input: ChannelInput, secret: Record<string, string> | null): void {
  if (!input.name.trim()) throw new DomainError("BAD_REQUEST", "name: give the channel a name.");
  const allowed = SECRET_FIELDS[input.kind];
  for (const key of Object.keys(input.secret ?? {})) {
    if (!allowed.includes(key)) {
      throw new DomainError("BAD_REQUEST", `secret.${key}: a ${input.kind} channel takes ${allowed.join(" or ")}.`);
    }
  }
  switch (input.kind) {
    case "webhook":
      httpUrl("settings.url", input.settings.url);
      if (!secret?.signingSecret || secret.signingSecret.length < 16) {
        throw new DomainError("BAD_REQUEST", "secret.signingSecret: set a signing secret of at least 16 characters.");
      }
      return;
    case "ntfy":
      httpUrl("settings.serverUrl", input.settings.serverUrl);
      if (!/^[-_A-Za-z0-9]{1,64}$/.test(input.settings.topic)) {
        throw new DomainError("BAD_REQUEST", "settings.topic: letters, digits, - and _ only (at most 64).");
      }
      if (secret?.password && !input.settings.username) {
        throw new DomainError("BAD_REQUEST", "settings.username: a password needs a username (or use a token).");
      }
      return;
    case "email":
      if (!input.settings.host.trim()) throw new DomainError("BAD_REQUEST", "settings.host: enter the SMTP server.");
      if (input.settings.to.length === 0) {
        throw new DomainError("BAD_REQUEST", "settings.to: add at least one recipient.");
      }
      return;
  }
}

export class AlertChannels {
  constructor(
    private readonly db: Database,
    private readonly secrets: SecretBox,
    private readonly now: () => number,
  ) {}

  async list(): Promise<PublicChannel[]> {
    const rows = await this.db.select().from(alertChannels).orderBy(desc(alertChannels.id));
    return rows.map(publicChannel);
  }

  async get(id: string): Promise<PublicChannel> {
    return publicChannel(await this.#row(id));
  }

  async create(input: ChannelInput, actor: Actor): Promise<PublicChannel> {
    const id = newId();
    const secret = input.secret && Object.keys(input.secret).length ? input.secret : null;
    validate(input, secret);
    const at = new Date(this.now());
    await this.db.transaction(async (tx) => {
      await tx.insert(alertChannels).values({
        id,
        kind: input.kind,
        name: input.name.trim(),
        enabled: input.enabled,
        settings: input.settings as unknown as Record<string, unknown>,
        secretEnc: secret ? this.secrets.encrypt(JSON.stringify(secret), slot(id)) : null,
        routeRules: input.routing.rules,
        routeSeverities: input.routing.severities,
        routeHostTags: input.routing.hostTags,
        updatedAt: at,
      });
      await writeAudit(tx, actor, {
        action: "alert_channel.create",
        target: { type: "alert_channel", id },
        summary: `created ${input.kind} channel "${input.name.trim()}"`,
      });
    });
    return this.get(id);
  }

  async update(id: string, input: ChannelInput, actor: Actor): Promise<PublicChannel> {
    const row = await this.#row(id);
    if (row.kind !== input.kind) {
      throw new DomainError("BAD_REQUEST", "kind: a channel's kind cannot change; create a new channel instead.");
    }
    const stored = row.secretEnc ? this.#secret(row) : null;
    const secret = input.secret === undefined ? stored : Object.keys(input.secret).length ? input.secret : null;
    validate(input, secret);
    await this.db.transaction(async (tx) => {
      await tx
        .update(alertChannels)
        .set({
          name: input.name.trim(),
          enabled: input.enabled,
          settings: input.settings as unknown as Record<string, unknown>,
          ...(input.secret !== undefined
            ? { secretEnc: secret ? this.secrets.encrypt(JSON.stringify(secret), slot(id)) : null }
            : {}),
          routeRules: input.routing.rules,
          routeSeverities: input.routing.severities,
          routeHostTags: input.routing.hostTags,
          updatedAt: new Date(this.now()),
        })
        .where(eq(alertChannels.id, id));
      await writeAudit(tx, actor, {
        action: "alert_channel.update",
        target: { type: "alert_channel", id },
        summary: `changed ${row.kind} channel "${input.name.trim()}"${input.secret !== undefined ? " (secret replaced)" : ""}`,
      });
    });
    return this.get(id);
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const row = await this.#row(id);
    await this.db.transaction(async (tx) => {
      await tx.delete(alertChannels).where(eq(alertChannels.id, id));
      await writeAudit(tx, actor, {
        action: "alert_channel.delete",
        target: { type: "alert_channel", id },
        summary: `deleted ${row.kind} channel "${row.name}"`,
      });
    });
  }

  /** Enabled channels with their routing, for the delivery queue. */
  async enabled() {
    return (await this.db.select().from(alertChannels).where(eq(alertChannels.enabled, true))) as Row[];
  }

  /** The channel with its decrypted secret: only the sender sees this. */
  async config(id: string): Promise<{ config: ChannelConfig; secretValues: string[]; enabled: boolean } | null> {
    const [row] = await this.db.select().from(alertChannels).where(eq(alertChannels.id, id));
    if (!row) return null;
    const secret = row.secretEnc ? this.#secret(row) : {};
    return {
      enabled: row.enabled,
      config: { kind: row.kind, settings: row.settings, secret } as unknown as ChannelConfig,
      secretValues: Object.values(secret).filter((v) => v.length > 0),
    };
  }

  #secret(row: Row): Record<string, string> {
    return JSON.parse(this.secrets.decryptString(row.secretEnc as Buffer, slot(row.id))) as Record<string, string>;
  }

  async #row(id: string): Promise<Row> {
    const [row] = await this.db.select().from(alertChannels).where(eq(alertChannels.id, id));
    if (!row) throw new DomainError("NOT_FOUND", "That channel does not exist (deleted meanwhile?).");
    return row;
  }
}

export type { AlertChannelKind };
