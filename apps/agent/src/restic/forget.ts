/**
 * `restic forget --json`: one JSON array on stdout, one entry per snapshot group
 * (`{tags, host, paths, keep: [...], remove: [...] | null, reasons: [...]}`). With `--prune`,
 * restic's prune report follows as plain text lines. Every field is optional: restic omits
 * empty ones and adds fields over time.
 */
import type { ForgetParams } from "@restic-manager/protocol";
import { z } from "zod";

/** True when the params carry at least one keep rule (restic removes nothing without one). */
export function hasKeepRule(params: ForgetParams): boolean {
  return (
    params.keepLast !== null ||
    params.keepHourly !== null ||
    params.keepDaily !== null ||
    params.keepWeekly !== null ||
    params.keepMonthly !== null ||
    params.keepYearly !== null ||
    params.keepWithin !== null
  );
}

/**
 * The argument array. The tags become ONE `--tag a,b` (restic: all of these tags), so only the
 * source group's own snapshots are considered; tags cannot contain ',' (the protocol refuses it).
 */
export function forgetArgs(params: ForgetParams): string[] {
  const args = ["forget", "--json"];
  const keep: [string, number | null][] = [
    ["--keep-last", params.keepLast],
    ["--keep-hourly", params.keepHourly],
    ["--keep-daily", params.keepDaily],
    ["--keep-weekly", params.keepWeekly],
    ["--keep-monthly", params.keepMonthly],
    ["--keep-yearly", params.keepYearly],
  ];
  for (const [flag, value] of keep) if (value !== null) args.push(flag, String(value));
  if (params.keepWithin !== null) args.push("--keep-within", params.keepWithin);
  if (params.tags.length > 0) args.push(`--tag=${params.tags.join(",")}`);
  if (params.prune) args.push("--prune");
  return args;
}

const ZForgetSnapshot = z.object({
  id: z.string(),
  short_id: z.string().optional(),
  time: z.string().optional(),
  paths: z.array(z.string()).nullish(),
  tags: z.array(z.string()).nullish(),
  hostname: z.string().optional(),
});
export type ForgetSnapshot = z.infer<typeof ZForgetSnapshot>;

const ZForgetGroup = z.object({
  tags: z.array(z.string()).nullish(),
  host: z.string().nullish(),
  paths: z.array(z.string()).nullish(),
  keep: z.array(ZForgetSnapshot).nullish(),
  remove: z.array(ZForgetSnapshot).nullish(),
});
export type ForgetGroup = z.infer<typeof ZForgetGroup>;

export const ZForgetOutput = z.array(ZForgetGroup);

/** The JSON line of forget's stdout, or null when `line` is not it. */
export function parseForgetLine(line: string): ForgetGroup[] | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("[")) return null;
  try {
    const parsed = ZForgetOutput.safeParse(JSON.parse(trimmed));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface ForgetResult {
  groups: number;
  kept: number;
  removed: number;
  removedSnapshots: ForgetSnapshot[];
}

export function summarizeForget(groups: ForgetGroup[]): ForgetResult {
  const removedSnapshots = groups.flatMap((g) => g.remove ?? []);
  return {
    groups: groups.length,
    kept: groups.reduce((n, g) => n + (g.keep?.length ?? 0), 0),
    removed: removedSnapshots.length,
    removedSnapshots,
  };
}

/** "removed snapshot 1a2b3c4d of /srv/data from 2024-05-01T10:00:00Z [tag1, tag2]" */
export function describeRemoved(snapshot: ForgetSnapshot): string {
  const id = snapshot.short_id ?? snapshot.id.slice(0, 8);
  const paths = snapshot.paths?.length ? ` of ${snapshot.paths.join(", ")}` : "";
  const time = snapshot.time ? ` from ${snapshot.time.replace(/\.\d+/, "")}` : "";
  const tags = snapshot.tags?.length ? ` [${snapshot.tags.join(", ")}]` : "";
  return `removed snapshot ${id}${paths}${time}${tags}`;
}
