/**
 * The three channel kinds, each one function that sends one notification or throws an Error
 * whose message tells the operator what went wrong (never the channel's secret).
 */
import { createHmac } from "node:crypto";
import type { AlertChannelKind, AlertSeverity } from "@restic-manager/protocol";
import nodemailer from "nodemailer";
import type { NoticeText } from "./message.js";

export interface WebhookSettings {
  url: string;
}
export interface WebhookSecret {
  signingSecret: string;
}
export interface NtfySettings {
  serverUrl: string;
  topic: string;
  username?: string | null | undefined;
}
export interface NtfySecret {
  token?: string | undefined;
  password?: string | undefined;
}
export interface EmailSettings {
  host: string;
  port: number;
  /** "tls": TLS from the first byte (465); "starttls": upgrade required (587); "none": plain (tests, relays on loopback). */
  security: "tls" | "starttls" | "none";
  username?: string | null | undefined;
  from: string;
  to: string[];
}
export interface EmailSecret {
  password?: string | undefined;
}

export type ChannelConfig =
  | { kind: "webhook"; settings: WebhookSettings; secret: WebhookSecret }
  | { kind: "ntfy"; settings: NtfySettings; secret: NtfySecret }
  | { kind: "email"; settings: EmailSettings; secret: EmailSecret };

export interface Outgoing {
  /** The webhook body, already serialised: the signature covers exactly these bytes. */
  body: string;
  notice: NoticeText;
  severity: AlertSeverity | null;
  resolved: boolean;
  event: string;
  deliveryId: string;
  /** Unix seconds for the signature. */
  timestamp: number;
  timeoutMs: number;
}

export const SIGNATURE_HEADER = "X-Restic-Manager-Signature";

/** `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as docs/alerts.md shows how to verify. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  return `t=${timestamp},v1=${mac}`;
}

async function post(what: string, url: string, init: RequestInit, timeoutMs: number): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, method: "POST", redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    if (err.name === "TimeoutError") throw new Error(`${what} did not answer within ${timeoutMs / 1000} s`);
    throw new Error(`cannot reach ${what}: ${err.cause?.code ?? err.message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (!res.ok) throw new Error(`${what} answered HTTP ${res.status}`);
}

const NTFY_PRIORITY: Record<AlertSeverity, string> = { critical: "5", warning: "4", info: "3" };
const NTFY_TAGS: Record<AlertSeverity, string> = {
  critical: "rotating_light",
  warning: "warning",
  info: "information_source",
};

export async function send(channel: ChannelConfig, out: Outgoing): Promise<void> {
  switch (channel.kind) {
    case "webhook":
      return post(
        "the webhook",
        channel.settings.url,
        {
          headers: {
            "content-type": "application/json",
            "user-agent": "restic-manager",
            "x-restic-manager-event": out.event,
            "x-restic-manager-delivery": out.deliveryId,
            [SIGNATURE_HEADER]: signWebhook(channel.secret.signingSecret, out.timestamp, out.body),
          },
          body: out.body,
        },
        out.timeoutMs,
      );
    case "ntfy": {
      const { settings, secret } = channel;
      const headers: Record<string, string> = {
        // ntfy reads these headers; non-ASCII titles would be mangled, so keep the title ASCII.
        title: out.notice.title.replace(/[^\x20-\x7e]/g, "?"),
        priority: out.severity && !out.resolved ? NTFY_PRIORITY[out.severity] : "3",
        tags: out.resolved ? "white_check_mark" : out.severity ? NTFY_TAGS[out.severity] : "bell",
      };
      if (secret.token) headers.authorization = `Bearer ${secret.token}`;
      else if (settings.username && secret.password) {
        headers.authorization = `Basic ${Buffer.from(`${settings.username}:${secret.password}`).toString("base64")}`;
      }
      const url = `${settings.serverUrl.replace(/\/+$/, "")}/${encodeURIComponent(settings.topic)}`;
      return post("the ntfy server", url, { headers, body: out.notice.text }, out.timeoutMs);
    }
    case "email": {
      const { settings, secret } = channel;
      const transport = nodemailer.createTransport({
        host: settings.host,
        port: settings.port,
        secure: settings.security === "tls",
        requireTLS: settings.security === "starttls",
        ignoreTLS: settings.security === "none",
        connectionTimeout: out.timeoutMs,
        greetingTimeout: out.timeoutMs,
        socketTimeout: out.timeoutMs,
        ...(settings.username ? { auth: { user: settings.username, pass: secret.password ?? "" } } : {}),
      });
      try {
        await transport.sendMail({
          from: settings.from,
          to: settings.to,
          subject: out.notice.title,
          text: out.notice.text,
          html: out.notice.html,
          headers: { "X-Restic-Manager-Event": out.event },
        });
      } catch (e) {
        throw new Error(`the SMTP server refused or could not be reached: ${(e as Error).message}`);
      } finally {
        transport.close();
      }
    }
  }
}

/** Which secret fields each kind takes, to validate input and redact errors. */
export const SECRET_FIELDS: Record<AlertChannelKind, string[]> = {
  webhook: ["signingSecret"],
  ntfy: ["token", "password"],
  email: ["password"],
};
