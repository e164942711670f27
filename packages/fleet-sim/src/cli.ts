/**
 * fleet-sim CLI (see README.md):
 *   node --import tsx packages/fleet-sim/src/cli.ts --server URL --agents N
 *        [--admin-user admin] [--admin-password P | --tokens-file F] [--save-tokens F] [--duration S]
 *   node --import tsx packages/fleet-sim/src/cli.ts seed --db PATH --hosts H --jobs J --lines L
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { enrollFleet, signIn } from "./enroll.js";
import { checkFdLimit } from "./limits.js";
import { seedDatabase } from "./seed.js";
import { FleetSimulator, type SimIdentity } from "./simulator.js";

const USAGE = `usage:
  fleet-sim --server URL --agents N (--admin-password P [--admin-user admin] | --tokens-file F)
            [--save-tokens F] [--duration S] [--prefix sim] [--backup-lines N] [--backup-seconds S]
  fleet-sim seed --db PATH --hosts H --jobs J --lines L [--tokens-out F]`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** Re-runs this process under `ulimit -n` when the soft fd limit is too low but the hard one allows it. */
function ensureFds(agents: number): void {
  const verdict = checkFdLimit(agents);
  if (verdict.ok) return;
  if (!verdict.canRaise) fail(verdict.advice);
  if (process.env.FLEET_SIM_REEXEC) {
    fail(`the soft fd limit is still ${verdict.limit.soft} after re-executing; need ${verdict.want}`);
  }
  console.error(`raising the soft fd limit ${verdict.limit.soft} -> ${verdict.want} (hard ${verdict.limit.hard})`);
  const args = [...process.execArgv, ...process.argv.slice(1)].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  const res = spawnSync("sh", ["-c", `ulimit -n ${verdict.want} && exec '${process.execPath}' ${args.join(" ")}`], {
    stdio: "inherit",
    env: { ...process.env, FLEET_SIM_REEXEC: "1" },
  });
  process.exit(res.status ?? 1);
}

async function runSeed(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      hosts: { type: "string", default: "100" },
      jobs: { type: "string", default: "10000" },
      lines: { type: "string", default: "50000" },
      "tokens-out": { type: "string" },
    },
  });
  if (!values.db) fail(USAGE);
  let last = 0;
  const result = await seedDatabase({
    database: values.db,
    hosts: Number(values.hosts),
    jobs: Number(values.jobs),
    logLines: Number(values.lines),
    agentTokens: Boolean(values["tokens-out"]),
    onProgress: (table, done, total) => {
      if (Date.now() - last > 1000 || done === total) {
        last = Date.now();
        process.stderr.write(`\r${table}: ${done}/${total}        `);
      }
    },
  });
  process.stderr.write("\n");
  const { identities, ...rest } = result;
  if (values["tokens-out"] && identities) {
    writeFileSync(values["tokens-out"], JSON.stringify(identities), { mode: 0o600 });
  }
  console.log(JSON.stringify(rest));
}

async function runSim(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: "string" },
      agents: { type: "string" },
      "admin-user": { type: "string", default: "admin" },
      "admin-password": { type: "string" },
      "tokens-file": { type: "string" },
      "save-tokens": { type: "string" },
      duration: { type: "string" },
      prefix: { type: "string", default: "sim" },
      "backup-lines": { type: "string" },
      "backup-seconds": { type: "string" },
    },
  });
  if (!values.server) fail(USAGE);
  let identities: SimIdentity[];
  const t0 = Date.now();
  if (values["tokens-file"]) {
    identities = JSON.parse(readFileSync(values["tokens-file"], "utf8")) as SimIdentity[];
    if (values.agents) identities = identities.slice(0, Number(values.agents));
  } else {
    if (!values.agents || !values["admin-password"]) fail(USAGE);
    ensureFds(Number(values.agents));
    const client = await signIn(values.server, values["admin-user"], values["admin-password"]);
    identities = await enrollFleet(values.server, client, Number(values.agents), { prefix: values.prefix });
    console.error(`enrolled ${identities.length} hosts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (values["save-tokens"]) writeFileSync(values["save-tokens"], JSON.stringify(identities), { mode: 0o600 });
  }
  ensureFds(identities.length);
  const sim = new FleetSimulator({
    serverUrl: values.server,
    agents: identities,
    backup: {
      ...(values["backup-lines"] ? { extraLines: Number(values["backup-lines"]) } : {}),
      ...(values["backup-seconds"] ? { durationMs: Number(values["backup-seconds"]) * 1000 } : {}),
    },
  });
  const started = Date.now();
  let allAt: number | null = null;
  const status = () => {
    const m = sim.metrics;
    if (allAt === null && m.connected === identities.length) allAt = Date.now();
    const line =
      `t=${((Date.now() - started) / 1000).toFixed(0)}s connected=${m.connected}/${identities.length}` +
      ` reconnects=${m.reconnects} failures=${m.connectFailures} sent=${m.messagesSent} recv=${m.messagesReceived}` +
      ` cmds=${m.commandsReceived} jobsDone=${m.jobsFinished} lines=${m.logLinesSent}` +
      ` ackP95=${m.ackLatency.percentile(95) ?? "-"}ms rss=${Math.round(process.memoryUsage().rss / 1e6)}MB`;
    process.stderr.write(`\r${line}   `);
  };
  const timer = setInterval(status, 1000);
  void sim.start();
  const stop = async () => {
    clearInterval(timer);
    status();
    process.stderr.write("\n");
    const snap = sim.metrics.snapshot();
    await sim.stop();
    console.log(
      JSON.stringify({
        ...snap,
        agents: identities.length,
        allConnectedAfterMs: allAt === null ? null : allAt - started,
      }),
    );
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  if (values.duration) setTimeout(() => void stop(), Number(values.duration) * 1000);
}

const [first, ...rest] = process.argv.slice(2);
if (first === "seed") await runSeed(rest);
else if (first === "--help" || first === "-h") console.log(USAGE);
else await runSim(process.argv.slice(2));
