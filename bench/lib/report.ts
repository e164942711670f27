/** Benchmark results: the shape every benchmark returns, the table, and the JSON record. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, hostname, release, totalmem } from "node:os";
import { join, resolve } from "node:path";

export interface Check {
  /** What is measured, e.g. "server RSS, 10k agents connected". */
  measure: string;
  measured: number | null;
  unit: string;
  /** The budget, e.g. 250 with op "<=". */
  target: number;
  op: "<=" | ">=";
}

export interface BenchResult {
  id: string;
  title: string;
  checks: Check[];
  /** What it was measured against: N, scale, machine notes. */
  anchor: string;
  /** Everything else worth keeping (percentiles, counts, timings). */
  details: Record<string, unknown>;
  error?: string;
  ranAt?: string;
  seconds?: number;
}

export const passes = (c: Check) =>
  c.measured !== null &&
  Number.isFinite(c.measured) &&
  (c.op === "<=" ? c.measured <= c.target : c.measured >= c.target);

export const round = (n: number | null | undefined, digits = 1) =>
  n === null || n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits;

export function machine() {
  const cpu = cpus();
  return {
    hostname: hostname(),
    cpus: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    node: process.version,
    loadAverageAtStart: readLoad(),
  };
}

function readLoad(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").trim();
  } catch {
    return "";
  }
}

const fmt = (n: number | null, unit: string) =>
  n === null ? "n/a" : `${n.toLocaleString("en")}${unit ? ` ${unit}` : ""}`;

export function table(results: BenchResult[]): string {
  const rows: string[][] = [["id", "measure", "measured", "target", "", "anchor"]];
  for (const r of results) {
    if (r.error) rows.push([r.id, r.title, `ERROR: ${r.error.split("\n")[0]?.slice(0, 80)}`, "", "x", r.anchor]);
    r.checks.forEach((c, i) => {
      rows.push([
        i === 0 ? r.id : "",
        c.measure,
        fmt(c.measured, c.unit),
        `${c.op} ${fmt(c.target, c.unit)}`,
        passes(c) ? "ok" : "MISS",
        i === 0 ? r.anchor : "",
      ]);
    });
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((cell, col) => cell.padEnd(col === r.length - 1 ? 0 : (widths[col] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

export const RESULTS_DIR = resolve(import.meta.dirname, "../results");

/**
 * Writes bench/results/<YYYY-MM-DD>.json. A run of some benchmarks replaces those entries of
 * the day's file and keeps the others, so `npm run bench -- B3` after a full run updates B3 only.
 */
export function writeResults(results: BenchResult[], extra: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const day = new Date().toISOString().slice(0, 10);
  const file = join(RESULTS_DIR, `${day}.json`);
  let previous: { results?: BenchResult[] } = {};
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, "utf8")) as { results?: BenchResult[] };
    } catch {
      previous = {};
    }
  }
  const byId = new Map((previous.results ?? []).map((r) => [r.id, r]));
  for (const r of results) byId.set(r.id, r);
  const order = ["B1", "B2", "B3", "B4", "B5", "B6", "B8", "B9", "B10"];
  const merged = [...byId.values()].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const out = {
    date: day,
    writtenAt: new Date().toISOString(),
    machine: machine(),
    ...extra,
    results: merged.map((r) => ({ ...r, checks: r.checks.map((c) => ({ ...c, pass: passes(c) })) })),
  };
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}

/** A benchmark setting from the environment (`RM_BENCH_*`, see README.md). */
export const setting = (name: string): string | undefined => process.env[name];

/** A numeric setting, or `fallback` when unset. */
export function settingNumber(name: string, fallback: number): number {
  const raw = setting(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}
