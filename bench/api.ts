/**
 * B6: the dashboard, host list, job list and log tail APIs at fleet scale (10k hosts, 1M jobs,
 * 10M log lines; RM_BENCH_SCALE=small for 1k/100k/1M), 20 concurrent clients over HTTP with an
 * API token. Each API is measured on its own for RM_BENCH_B6_SECONDS. The "no full scan" half
 * of B6 is packages/core/test/query-plans.test.ts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Samples, seedDatabase } from "@restic-manager/fleet-sim";
import { adminApi, data, startBenchConsole } from "./lib/console.js";
import { watchProc } from "./lib/proc.js";
import { type BenchResult, type Check, round, setting, settingNumber } from "./lib/report.js";

const SCALES = {
  full: { hosts: 10_000, jobs: 1_000_000, logLines: 10_000_000 },
  small: { hosts: 1_000, jobs: 100_000, logLines: 1_000_000 },
} as const;
const CLIENTS = settingNumber("RM_BENCH_B6_CLIENTS", 20);
const HOST_PREFIX = "api";

interface HostPage {
  items: { id: string }[];
  nextCursor: string | null;
}
const SECONDS = settingNumber("RM_BENCH_B6_SECONDS", 10);

export const b6Scale = () => (setting("RM_BENCH_SCALE") === "small" ? "small" : "full");

export async function b6(log: (s: string) => void): Promise<BenchResult> {
  const scaleName = b6Scale();
  const scale = SCALES[scaleName];
  const dir = mkdtempSync(join(tmpdir(), "rm-bench-api-"));
  try {
    log(
      `B6: seeding ${scale.hosts.toLocaleString("en")} hosts, ${scale.jobs.toLocaleString("en")} jobs, ` +
        `${scale.logLines.toLocaleString("en")} log lines (RM_BENCH_SCALE=${scaleName})`,
    );
    let last = 0;
    const seeded = await seedDatabase({
      database: join(dir, "restic-manager.db"),
      ...scale,
      hostPrefix: HOST_PREFIX,
      onProgress: (table, done, total) => {
        if (Date.now() - last > 15_000 || done === total) {
          last = Date.now();
          log(`B6: seed ${table} ${done.toLocaleString("en")}/${total.toLocaleString("en")}`);
        }
      },
    });
    const c = await startBenchConsole({ dataDir: dir, cpuProfDir: setting("RM_BENCH_CPU_PROF") });
    try {
      const { api } = await adminApi(c);
      // Inputs: hosts and jobs spread over the data set (the host list pages, 200 at most a call).
      const hosts: { id: string }[] = [];
      for (let cursor: string | null = null; ; ) {
        const page: HostPage = await data<HostPage>(api.query("hosts.list", { limit: 200, cursor }));
        hosts.push(...page.items);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      const sampleHosts = Array.from({ length: 100 }, (_, i) => hosts[(i * 97) % hosts.length]!.id);
      const jobIds: string[] = [];
      for (const hostId of sampleHosts.slice(0, 20)) {
        const page = await data<{ items: { id: string }[] }>(api.query("jobs.list", { hostId, limit: 20 }));
        jobIds.push(...page.items.map((r) => r.id));
      }
      const pick = <T>(xs: T[], i: number) => xs[i % xs.length] as T;
      const apis: [string, (i: number) => Promise<unknown>][] = [
        ["hosts.summary (dashboard tiles)", () => data(api.query("hosts.summary"))],
        ["jobs.list running (dashboard)", () => data(api.query("jobs.list", { status: "running", limit: 200 }))],
        ["hosts.list first 50 by name (host list)", () => data(api.query("hosts.list", { limit: 50 }))],
        [
          "hosts.list 50, attention first (dashboard)",
          () => data(api.query("hosts.list", { sort: "attention", status: "active", limit: 50 })),
        ],
        [
          // A different ~10-host search each call ("api-0042" matches api-00420..api-00429): the
          // count reads the whole name index once.
          "hosts.list search, 50 (host list)",
          (i) =>
            data(
              api.query("hosts.list", { search: `${HOST_PREFIX}-0${String(i % 1000).padStart(3, "0")}`, limit: 50 }),
            ),
        ],
        ["jobs.list newest 50 (job list)", () => data(api.query("jobs.list", { limit: 50 }))],
        ["jobs.list of a host, 50", (i) => data(api.query("jobs.list", { hostId: pick(sampleHosts, i), limit: 50 }))],
        ["jobs.list failed, 50", () => data(api.query("jobs.list", { status: "failed", limit: 50 }))],
        [
          "jobs.logs (log tail, 1000 lines)",
          (i) => data(api.query("jobs.logs", { jobId: pick(jobIds, i), limit: 1000 })),
        ],
      ];
      const checks: Check[] = [];
      const details: Record<string, unknown> = {
        scale: scaleName,
        ...scale,
        seedSeconds: round(seeded.ms.total / 1000),
        clients: CLIENTS,
        secondsPerApi: SECONDS,
      };
      const all = new Samples(1_000_000);
      for (const [name, call] of apis) {
        const s = new Samples(1_000_000);
        let i = 0;
        let errors = 0;
        // Warm up (first-query costs, page cache), then measure.
        for (let k = 0; k < 3; k++) await call(k);
        const w = watchProc(c.pid, 1000);
        const end = Date.now() + SECONDS * 1000;
        await Promise.all(
          Array.from({ length: CLIENTS }, async () => {
            while (Date.now() < end) {
              const t0 = performance.now();
              try {
                await call(i++);
              } catch {
                errors++;
              }
              const ms = performance.now() - t0;
              s.add(ms);
              all.add(ms);
            }
          }),
        );
        const usage = w.stop();
        const p95 = round(s.percentile(95));
        log(`B6: ${name}: p50 ${round(s.percentile(50))} ms, p95 ${p95} ms, ${round(s.count / SECONDS)} req/s`);
        details[name] = {
          requests: s.count,
          perSecond: round(s.count / SECONDS),
          errors,
          p50: round(s.percentile(50)),
          p95,
          p99: round(s.percentile(99)),
          serverCpuPercent: round(usage.cpuPercent),
        };
        checks.push({ measure: `${name}, p95`, measured: p95, unit: "ms", target: 20, op: "<=" });
      }
      details.allApisP95 = round(all.percentile(95));
      return {
        id: "B6",
        title: "dashboard, host list, job list, log tail APIs at scale",
        anchor: `${scale.hosts.toLocaleString("en")} hosts / ${scale.jobs.toLocaleString("en")} jobs / ${scale.logLines.toLocaleString("en")} lines, ${CLIENTS} concurrent clients over HTTP, ${SECONDS} s per API`,
        checks,
        details,
      };
    } finally {
      await c.stop("SIGTERM");
    }
  } finally {
    if (!setting("RM_BENCH_KEEP")) rmSync(dir, { recursive: true, force: true });
  }
}
