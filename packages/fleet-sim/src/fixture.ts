/**
 * Recorded `restic backup --json` output (apps/agent/test/fixtures/restic/) turned into a script a
 * simulated agent replays: progress snapshots, the human-readable lines the real agent would
 * stream, and the final summary in the protocol's camelCase shape.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { JobSummary } from "@restic-manager/protocol";

export const FIXTURE_DIR = resolve(import.meta.dirname, "../../../apps/agent/test/fixtures/restic");
export const DEFAULT_FIXTURE = resolve(FIXTURE_DIR, "0.14-backup-big.stdout.jsonl");

export interface ProgressPoint {
  percent: number;
  filesDone: number;
  filesTotal: number | null;
  bytesDone: number;
  bytesTotal: number | null;
  currentFile: string | null;
}

export interface BackupScript {
  progress: ProgressPoint[];
  /** Lines as the agent streams them (stdout), in order. */
  lines: string[];
  summary: JobSummary;
  /** restic's short snapshot id from the summary. */
  shortId: string;
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function loadBackupScript(file = DEFAULT_FIXTURE): BackupScript {
  const progress: ProgressPoint[] = [];
  const lines: string[] = [];
  let summary: JobSummary = {};
  let shortId = "00000000";
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    if (!raw.trim()) continue;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      lines.push(raw);
      continue;
    }
    const type = msg.message_type;
    if (type === "status") {
      const files = msg.current_files as string[] | undefined;
      progress.push({
        percent: Math.min(100, Math.max(0, Number(msg.percent_done ?? 0) * 100)),
        filesDone: Number(msg.files_done ?? 0),
        filesTotal: msg.total_files === undefined ? null : Number(msg.total_files),
        bytesDone: Number(msg.bytes_done ?? 0),
        bytesTotal: msg.total_bytes === undefined ? null : Number(msg.total_bytes),
        currentFile: files?.[0] ?? null,
      });
      if (msg.action === "scan_finished") lines.push(`scan finished in ${Number(msg.duration ?? 0).toFixed(3)}s`);
    } else if (type === "summary") {
      for (const [k, v] of Object.entries(msg)) {
        if (k === "message_type") continue;
        if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") summary[camel(k)] = v;
      }
      shortId = String(msg.snapshot_id ?? shortId);
      lines.push(
        `Files: ${msg.files_new} new, ${msg.files_changed} changed, ${msg.files_unmodified} unmodified; ` +
          `Dirs: ${msg.dirs_new} new, ${msg.dirs_changed} changed, ${msg.dirs_unmodified} unmodified; ` +
          `added ${msg.data_added} bytes; snapshot ${shortId} saved`,
      );
    } else if (type === "verbose_status") {
      lines.push(`${msg.action ?? "unknown"} ${msg.item ?? ""}`.trim());
    } else if (type === "error") {
      lines.push(`error: ${JSON.stringify(msg.error ?? msg).slice(0, 500)}`);
    } else {
      lines.push(raw.slice(0, 2000));
    }
  }
  if (progress.length === 0) {
    progress.push({ percent: 0, filesDone: 0, filesTotal: null, bytesDone: 0, bytesTotal: null, currentFile: null });
  }
  summary = { ...summary, snapshotId: shortId };
  return { progress, lines, summary, shortId };
}
