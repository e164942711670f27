/**
 * What a notification says: the webhook's JSON body (documented in docs/alerts.md) and the
 * title and text that ntfy and e-mail show. One builder, so every channel tells the same story.
 */
import type { AlertDeliveryEvent, AlertRule } from "@restic-manager/protocol";
import type { AlertView } from "./select.js";

/** What a notification tells: the alert with its host's and group's names. */
export type AlertNotice = AlertView;

export const WEBHOOK_VERSION = 1;

export const RULE_TITLES: Record<AlertRule, string> = {
  backup_failed: "Backup failed",
  rpo_breached: "No recent backup (RPO breached)",
  agent_offline: "Agent offline",
  check_failed: "Repository check failed",
  stale_lock: "Stale repository lock",
  repo_unreachable: "Repository unreachable",
  run_abandoned: "Scheduled run abandoned",
};

/** The webhook body. `alert` is null only for a channel's test. */
export function webhookBody(event: AlertDeliveryEvent, alert: AlertNotice | null, sentAt: number) {
  return {
    version: WEBHOOK_VERSION,
    event,
    sentAt: new Date(sentAt).toISOString(),
    alert: alert && {
      ...alert,
      title: RULE_TITLES[alert.rule],
      firstSeenAt: alert.firstSeenAt.toISOString(),
      lastSeenAt: alert.lastSeenAt.toISOString(),
      acknowledgedAt: alert.acknowledgedAt?.toISOString() ?? null,
      resolvedAt: alert.resolvedAt?.toISOString() ?? null,
    },
  };
}

export interface NoticeText {
  title: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

export function noticeText(event: AlertDeliveryEvent, alert: AlertNotice | null): NoticeText {
  if (!alert) {
    const text = "This is a test notification from restic-manager. The channel works.";
    return { title: "restic-manager test notification", text, html: `<p>${text}</p>` };
  }
  const where = alert.sourceGroupName ? `${alert.hostName} / ${alert.sourceGroupName}` : alert.hostName;
  const prefix = event === "resolved" ? "[RESOLVED] " : event === "renotify" ? "[STILL OPEN] " : "";
  const title = `${prefix}${RULE_TITLES[alert.rule]}: ${where}`;
  const lines = [
    alert.summary,
    "",
    `Severity: ${alert.severity}`,
    `Status: ${alert.status}${alert.resolvedHow ? ` (${alert.resolvedHow === "auto" ? "condition cleared" : "by hand"})` : ""}`,
    `First seen: ${alert.firstSeenAt.toISOString()}`,
    `Last seen: ${alert.lastSeenAt.toISOString()} (${alert.count}x)`,
    `Alert id: ${alert.id}`,
  ];
  const html = `<h2>${escapeHtml(title)}</h2><p>${escapeHtml(alert.summary)}</p><ul>${lines
    .slice(2)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join("")}</ul>`;
  return { title, text: lines.join("\n"), html };
}
