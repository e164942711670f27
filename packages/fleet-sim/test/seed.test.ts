/** The data generator fills a fresh database through the real schema with the asked-for counts. */

import { execSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { REPO_ROOT, SERVER_MAIN, startConsole, waitFor } from "@restic-manager/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { seedDatabase } from "../src/seed.js";
import { FleetSimulator } from "../src/simulator.js";

const dir = mkdtempSync(join(tmpdir(), "rm-seed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seedDatabase", () => {
  it("seeds 100 hosts, 10k jobs and 50k log lines", async () => {
    const file = join(dir, "restic-manager.db");
    const result = await seedDatabase({
      database: file,
      hosts: 100,
      jobs: 10_000,
      logLines: 50_000,
      maintained: false,
    });
    console.log(
      `[fleet-sim] seed: ${result.hosts} hosts, ${result.jobs} jobs, ${result.logLines} lines in ` +
        `${Math.round(result.ms.total)} ms (${result.rowsPerSecond} rows/s)`,
    );
    const client = createClient({ url: `file:${file}` });
    try {
      const count = async (sql: string) => Number((await client.execute(sql)).rows[0]?.[0]);
      expect(await count("SELECT count(*) FROM hosts")).toBe(100);
      expect(await count("SELECT count(*) FROM source_groups")).toBe(100);
      // 10k backups plus one succeeded init per host.
      expect(await count("SELECT count(*) FROM jobs")).toBe(10_100);
      expect(await count("SELECT count(*) FROM jobs WHERE kind = 'init' AND status = 'succeeded'")).toBe(100);
      expect(await count("SELECT count(*) FROM job_logs")).toBe(50_000);
      // Every job's stored log_lines matches its rows, and seqs are 0..n-1.
      expect(await count("SELECT coalesce(sum(log_lines), 0) FROM jobs")).toBe(50_000);
      expect(
        await count(
          "SELECT count(*) FROM (SELECT job_id, count(*) n, min(seq) lo, max(seq) hi FROM job_logs GROUP BY job_id) WHERE lo != 0 OR hi != n - 1",
        ),
      ).toBe(0);
      expect(await count("SELECT count(DISTINCT host_id) FROM jobs WHERE kind = 'backup'")).toBe(100);
      expect((await client.execute("PRAGMA foreign_key_check")).rows.length).toBe(0);
    } finally {
      client.close();
    }
  }, 60_000);

  it("seeds hosts with agent tokens a simulated fleet connects with, no enrolment", async () => {
    if (!existsSync(SERVER_MAIN)) {
      execSync("npm run build -w apps/server -w apps/web", { cwd: REPO_ROOT, stdio: "inherit" });
    }
    const dataDir = mkdtempSync(join(dir, "console-"));
    const seeded = await seedDatabase({
      database: join(dataDir, "restic-manager.db"),
      hosts: 50,
      jobs: 500,
      logLines: 1000,
      agentTokens: true,
      // Hosts that never ran init: each gets one on connect, which the simulator answers.
      initialised: false,
      maintained: false,
    });
    expect(seeded.identities).toHaveLength(50);
    const consoleProc = await startConsole({ dataDir });
    const sim = new FleetSimulator({ serverUrl: consoleProc.url, agents: seeded.identities ?? [] });
    try {
      void sim.start();
      await sim.waitConnected(50, 30_000);
      await waitFor(
        async () => sim.metrics.jobsFinished,
        (n) => n >= 50,
        20_000,
        "the init jobs finished",
      );
      expect(sim.metrics.fatal).toBe(0);
    } finally {
      await sim.stop();
      await consoleProc.stop("SIGKILL");
    }
  }, 60_000);
});
