/**
 * `restic snapshots --json --no-lock`: one JSON array of snapshot objects. `summary` exists from
 * restic 0.17 on; `short_id` is deprecated upstream and may disappear; `parent`, `username`,
 * `tags` are omitted when empty. --no-lock: a listing needs no lock, and a killed listing then
 * leaves none behind.
 */
import {
  type AgentPayload,
  type JobSummary,
  MAX_FRAME_BYTES,
  type Snapshot,
  ZSnapshot,
} from "@restic-manager/protocol";
import { z } from "zod";
import { parseResticTime } from "./common.js";

export const snapshotsArgs = (): string[] => ["snapshots", "--json", "--no-lock"];

export const ZResticSnapshot = z.object({
  id: z.string(),
  short_id: z.string().optional(),
  time: z.string(),
  parent: z.string().optional(),
  tree: z.string().optional(),
  paths: z.array(z.string()).nullish(),
  hostname: z.string().optional(),
  username: z.string().optional(),
  tags: z.array(z.string()).nullish(),
  excludes: z.array(z.string()).nullish(),
  program_version: z.string().optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});
export type ResticSnapshot = z.infer<typeof ZResticSnapshot>;

/** Parses the whole stdout of `restic snapshots --json`. Throws with a reason when it is not a listing. */
export function parseSnapshotsOutput(stdout: string): unknown[] {
  const text = stdout.trim();
  // Some restic builds print a notice line before the JSON; the array is the last line.
  const candidates = [text, text.slice(text.lastIndexOf("\n[") + 1)];
  for (const candidate of candidates) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (Array.isArray(value)) return value;
      // restic < 0.9 printed null for an empty repository.
      if (value === null) return [];
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`restic snapshots printed no JSON array: ${text.slice(0, 200) || "(nothing)"}`);
}

const snakeToCamel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** restic >= 0.17's snapshot summary as flat camelCase scalars; times become epoch ms. */
function convertSummary(summary: Record<string, unknown> | undefined): JobSummary | null {
  if (!summary) return null;
  const out: JobSummary = {};
  for (const [key, value] of Object.entries(summary).slice(0, 64)) {
    const name = snakeToCamel(key).slice(0, 64);
    if (!name) continue;
    if (typeof value === "number" || typeof value === "boolean" || value === null) out[name] = value;
    else if (typeof value === "string") out[name] = parseResticTime(value) ?? value.slice(0, 1024);
  }
  return out;
}

/**
 * One restic snapshot in the protocol's shape, or null (with the reason) when restic's entry
 * cannot be represented (no 64-hex id, unreadable time).
 */
export function toProtocolSnapshot(raw: unknown): { ok: true; snapshot: Snapshot } | { ok: false; reason: string } {
  const parsed = ZResticSnapshot.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues[0]?.message ?? "unexpected shape" };
  const s = parsed.data;
  const time = parseResticTime(s.time);
  if (time === null) return { ok: false, reason: `unreadable time "${s.time.slice(0, 64)}"` };
  const candidate = {
    id: s.id,
    shortId: s.short_id || s.id.slice(0, 8),
    time,
    hostname: (s.hostname ?? "").slice(0, 255),
    username: s.username ? s.username.slice(0, 255) : null,
    paths: (s.paths ?? [])
      .filter((p) => p.length > 0)
      .slice(0, 10_000)
      .map((p) => p.slice(0, 4096).replace(/\0/g, "")),
    tags: (s.tags ?? []).slice(0, 256).map((t) => t.slice(0, 255).replace(/\0/g, "")),
    parent: s.parent ? s.parent.slice(0, 64) : null,
    summary: convertSummary(s.summary),
  };
  const checked = ZSnapshot.safeParse(candidate);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    return { ok: false, reason: `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, snapshot: checked.data };
}

/** Room for the envelope ({"type":"snapshots.report","payload":{"reportId":...}}) in each frame. */
const ENVELOPE_BYTES = 1024;
const MAX_SNAPSHOTS_PER_PART = 10_000;

/**
 * Splits a listing into `snapshots.report` payloads whose frames stay under `maxFrameBytes`.
 * Always at least one part, so an empty repository empties the server's list.
 */
export function splitSnapshotsReport(
  snapshots: Snapshot[],
  reportId: string,
  maxFrameBytes = MAX_FRAME_BYTES,
): AgentPayload<"snapshots.report">[] {
  const budget = maxFrameBytes - ENVELOPE_BYTES;
  const groups: Snapshot[][] = [[]];
  let used = 0;
  for (const original of snapshots) {
    let snapshot = original;
    let size = Buffer.byteLength(JSON.stringify(snapshot)) + 1;
    // A snapshot alone over the budget (thousands of long paths) keeps as many paths as fit.
    while (size > budget && snapshot.paths.length > 0) {
      snapshot = { ...snapshot, paths: snapshot.paths.slice(0, Math.floor(snapshot.paths.length / 2)) };
      size = Buffer.byteLength(JSON.stringify(snapshot)) + 1;
    }
    let current = groups[groups.length - 1]!;
    if (current.length > 0 && (used + size > budget || current.length >= MAX_SNAPSHOTS_PER_PART)) {
      current = [];
      groups.push(current);
      used = 0;
    }
    current.push(snapshot);
    used += size;
  }
  return groups.map((group, part) => ({ reportId, part, parts: groups.length, snapshots: group }));
}
