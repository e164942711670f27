/**
 * The benchmark runner (`npm run bench [-- B1 B3 ...]`, see README.md): runs the chosen
 * benchmarks (all by default), prints the table (measured, target, anchor) and writes
 * bench/results/<YYYY-MM-DD>.json. bench/run.mjs installs and builds what is needed first.
 */
import { b8, b9Begin } from "./agent.js";
import { b6, b6Scale } from "./api.js";
import { b1, b2, b3, closeFleet, FLEET_AGENTS } from "./fleet.js";
import { killAll } from "./lib/children.js";
import { type BenchResult, passes, settingNumber, table, writeResults } from "./lib/report.js";
import { b4, b5 } from "./streams.js";
import { b10 } from "./web.js";

const ALL = ["B1", "B2", "B3", "B4", "B5", "B6", "B8", "B9", "B10"] as const;
type Id = (typeof ALL)[number];

const startedAt = Date.now();
const log = (s: string) => {
  const t = ((Date.now() - startedAt) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`\x1b[36m[bench ${t}s]\x1b[0m ${s}\n`);
};

const args = process.argv.slice(2).map((a) => a.toUpperCase());
const unknown = args.filter((a) => !(ALL as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}; choose from ${ALL.join(" ")}`);
  process.exit(2);
}
const chosen = new Set<Id>(args.length ? (args as Id[]) : ALL);

const results: BenchResult[] = [];
async function run(id: string, title: string, fn: () => Promise<BenchResult>) {
  const t0 = Date.now();
  log(`${id}: ${title}`);
  let r: BenchResult;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A console that stops answering must not hang the whole run.
    const limit = settingNumber("RM_BENCH_TIMEOUT_SECONDS", 900) * 1000;
    r = await Promise.race([
      fn(),
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`gave up after ${limit / 1000} s`)), limit);
      }),
    ]);
  } catch (e) {
    const err = e as Error;
    log(`${id} failed: ${err.stack ?? err.message}`);
    // Whatever that benchmark left running (a stuck console, its simulator) goes; B9 keeps idling.
    killAll("b9");
    if (["B1", "B2", "B3"].includes(id)) await closeFleet();
    r = { id, title, checks: [], anchor: "", details: {}, error: err.message };
  }
  clearTimeout(timer);
  r.ranAt = new Date(t0).toISOString();
  r.seconds = Math.round((Date.now() - t0) / 1000);
  results.push(r);
  for (const c of r.checks) log(`${id}: ${c.measure}: ${c.measured} ${c.unit} (${passes(c) ? "ok" : "MISS"})`);
}

// B9's idle agent runs alongside everything else (it idles; its console is tiny).
let b9: Awaited<ReturnType<typeof b9Begin>> | null = null;
if (chosen.has("B9")) {
  try {
    b9 = await b9Begin(log);
  } catch (e) {
    results.push({
      id: "B9",
      title: "agent binary size, start -> connected, idle RSS",
      checks: [],
      anchor: "",
      details: {},
      error: (e as Error).message,
    });
  }
}
if (chosen.has("B10")) await run("B10", "SPA bundle sizes", b10);
if (chosen.has("B1")) await run("B1", "fleet connected, idle console", () => b1(log));
if (chosen.has("B3")) await run("B3", "dispatch latency with the fleet connected", () => b3(log));
if (chosen.has("B2")) await run("B2", "console kill -9 and restart with the fleet connected", () => b2(log));
await closeFleet();
if (chosen.has("B4")) await run("B4", "log + progress ingest", () => b4(log));
if (chosen.has("B5")) await run("B5", "live-log fan-out over SSE", () => b5(log));
if (chosen.has("B8")) await run("B8", "agent vs plain restic", () => b8(log));
if (chosen.has("B6")) await run("B6", "APIs at scale", () => b6(log));
if (b9) {
  const handle = b9;
  await run("B9", "agent size, start, idle RSS", () => handle.finish());
}

const order = ALL as readonly string[];
results.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
const file = writeResults(results, {
  fleetAgents: FLEET_AGENTS,
  b6Scale: b6Scale(),
  env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("RM_BENCH_"))),
});
console.log(`\n${table(results)}\n`);
const misses = results.flatMap((r) => r.checks.filter((c) => !passes(c)).map((c) => `${r.id} ${c.measure}`));
const errors = results.filter((r) => r.error).map((r) => r.id);
console.log(
  `${results.length} benchmarks in ${Math.round((Date.now() - startedAt) / 1000)} s; ` +
    `${misses.length} missed target${misses.length === 1 ? "" : "s"}${errors.length ? `; errors: ${errors.join(", ")}` : ""}. Results: ${file}`,
);
// Misses are findings, not failures (see bench/README.md); a benchmark that could not run is.
process.exit(errors.length ? 1 : 0);
