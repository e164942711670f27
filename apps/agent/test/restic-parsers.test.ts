/**
 * The restic output parsers against recorded restic 0.14 output (test/fixtures/restic/0.14-*)
 * and the documented newer shapes (0.17-*, see the fixtures' README).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createAgentMessage, MAX_FRAME_BYTES, type Snapshot, ZSnapshot } from "@restic-manager/protocol";
import { describe, expect, it } from "vitest";
import { BackupOutput, type BackupProgress, backupArgs, parseBackupLine, toJobSummary } from "../src/restic/backup.js";
import { describeResticError, formatBytes, parseResticTime } from "../src/restic/common.js";
import { describeInitLine, isAlreadyInitialised } from "../src/restic/init.js";
import { lineSplitter, resticEnv } from "../src/restic/run.js";
import { parseSnapshotsOutput, splitSnapshotsReport, toProtocolSnapshot } from "../src/restic/snapshots.js";
import { parseStatsOutput, toRepoStats } from "../src/restic/stats.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "restic", name), "utf8");
const lines = (name: string) =>
  fixture(name)
    .split("\n")
    .filter((l) => l.length > 0);

function feed(stdout: string[], stderr: string[] = []) {
  const progress: BackupProgress[] = [];
  const log: { stream: string; line: string }[] = [];
  const output = new BackupOutput({
    onProgress: (p) => progress.push(p),
    onLine: (stream, line) => log.push({ stream, line }),
  });
  for (const l of stdout) output.stdout(l);
  for (const l of stderr) output.stderr(l);
  output.finish();
  return { output, progress, log };
}

describe("restic backup arguments", () => {
  it("puts every path after --, excludes and tags as --opt=value", () => {
    expect(
      backupArgs({ paths: ["/srv/data", "-rf", "--password=x"], excludes: ["*.tmp", "-x"], tags: ["daily"] }),
    ).toEqual([
      "backup",
      "--json",
      "-v",
      "--exclude=*.tmp",
      "--exclude=-x",
      "--tag=daily",
      "--",
      "/srv/data",
      "-rf",
      "--password=x",
    ]);
  });

  it("passes credentials in the environment only, dropping conflicting inherited ones", () => {
    const env = resticEnv({
      repository: { url: "sftp:backup@nas:/srv/restic", username: "backup", password: "s3cret" },
      cacheDir: "/var/lib/restic-manager/cache",
      baseEnv: { PATH: "/usr/bin", RESTIC_PASSWORD_FILE: "/etc/pw", RESTIC_PASSWORD_COMMAND: "pass x", HOME: "/root" },
    });
    expect(env).toMatchObject({
      PATH: "/usr/bin",
      HOME: "/root",
      RESTIC_REPOSITORY: "sftp:backup@nas:/srv/restic",
      RESTIC_PASSWORD: "s3cret",
      RESTIC_CACHE_DIR: "/var/lib/restic-manager/cache",
    });
    expect(env.RESTIC_PASSWORD_FILE).toBeUndefined();
    expect(env.RESTIC_PASSWORD_COMMAND).toBeUndefined();
  });
});

describe("restic 0.14 backup output (recorded)", () => {
  it("parses a first backup: scan, new files, summary with the short snapshot id", () => {
    const { output, progress, log } = feed(lines("0.14-backup-first.stdout.jsonl"));
    expect(output.summary).toMatchObject({
      files_new: 4,
      files_changed: 0,
      dirs_new: 5,
      snapshot_id: "ed7dce79",
    });
    expect(output.scanFinished).toBe(true);
    expect(output.errorCount).toBe(0);
    expect(progress.length).toBeGreaterThan(0);
    const text = log.map((l) => l.line);
    expect(text[0]).toMatch(/^scan finished in 0\.\d{3} s: 4 files, 27 B$/);
    expect(text).toContain("new      /tmp/fx/data/readme.md (6 B)");
    // Directories and the excluded *.bak are not listed.
    expect(text.some((l) => l.endsWith("/ (0 B)") || l.includes("x.bak"))).toBe(false);
    expect(text.slice(-5)).toEqual([
      "Files:         4 new,     0 changed,     0 unmodified",
      "Dirs:          5 new,     0 changed,     0 unmodified",
      expect.stringMatching(/^Added to the repository: \d+\.\d{3} KiB$/),
      "processed 4 files, 27 B in 0:00",
      "snapshot ed7dce79 saved",
    ]);
    expect(log.every((l) => l.stream === "stdout")).toBe(true);
  });

  it("lists only new and changed files of a second backup", () => {
    const { output, log } = feed(lines("0.14-backup-second.stdout.jsonl"));
    const files = log.map((l) => l.line).filter((l) => /^(new|modified) /.test(l));
    expect(files.sort()).toEqual([
      "modified /tmp/fx/data/docs/f1.txt (15 B)",
      "new      /tmp/fx/data/docs/f4.txt (4 B)",
    ]);
    expect(output.summary).toMatchObject({ files_new: 1, files_changed: 1, files_unmodified: 3 });
    expect(toJobSummary(output.summary!, { errorCount: 0 })).toEqual({
      filesNew: 1,
      filesChanged: 1,
      filesUnmodified: 3,
      dirsNew: 0,
      dirsChanged: 4,
      dirsUnmodified: 1,
      dataBlobs: 2,
      treeBlobs: 5,
      dataAdded: 3500,
      totalFilesProcessed: 5,
      totalBytesProcessed: 39,
      totalDuration: output.summary!.total_duration,
      snapshotId: "a5fac858",
      errorCount: 0,
    });
  });

  it("turns status lines into progress with the current file and totals once scanned", () => {
    const { progress } = feed(lines("0.14-backup-big.stdout.jsonl"));
    // Before scan_finished the totals are still growing: reported as unknown.
    expect(progress[0]).toMatchObject({ filesTotal: null, bytesTotal: null, percent: 0 });
    const mid = progress.find((p) => p.currentFile !== null);
    expect(mid).toMatchObject({
      filesTotal: 2,
      bytesTotal: 167772160,
      currentFile: expect.stringMatching(/^\/tmp\/fx\/big\/[ab]$/),
    });
    expect(mid!.percent).toBeGreaterThan(0);
    expect(mid!.percent).toBeLessThanOrEqual(100);
    for (const p of progress) {
      expect(p.bytesDone).toBeLessThanOrEqual(167772160);
      expect(Number.isInteger(p.filesDone)).toBe(true);
    }
    expect(progress.at(-1)).toMatchObject({ percent: 100, filesDone: 2, bytesDone: 167772160 });
  });

  it("reports unreadable files (exit code 3 run) from restic 0.14's Go error structs", () => {
    const { output, log } = feed(
      lines("0.14-backup-unreadable.stdout.jsonl"),
      lines("0.14-backup-unreadable.stderr.txt"),
    );
    expect(output.summary).not.toBeNull();
    expect(output.errorCount).toBe(1);
    expect(log.filter((l) => l.stream === "stderr")).toEqual([
      { stream: "stderr", line: "error: open /tmp/fx3/data/private/secret.txt: permission denied" },
      { stream: "stderr", line: "Warning: at least one source file could not be read" },
    ]);
  });

  it("takes restic's Fatal line as the failure reason", () => {
    const { output, log } = feed([], lines("0.14-backup-missing.stderr.txt"));
    expect(output.summary).toBeNull();
    expect(output.fatal).toBe("all target directories/files do not exist");
    expect(log.map((l) => l.line)).toEqual([
      "/tmp/fx/nothing-here does not exist, skipping",
      "Fatal: all target directories/files do not exist",
    ]);
  });

  it("lists new and modified files, never unchanged ones, whatever a path contains", () => {
    const { log } = feed([
      '{"message_type":"verbose_status","action":"unchanged","item":"/d/same","data_size":10}',
      '{"message_type":"verbose_status","action":"new","item":"/d/odd \\"action\\":\\"unchanged\\"","data_size":1}',
      '{"message_type":"verbose_status","action":"modified","item":"/d/changed","data_size":2048}',
    ]);
    expect(log.map((l) => l.line)).toEqual([
      'new      /d/odd "action":"unchanged" (1 B)',
      "modified /d/changed (2.000 KiB)",
    ]);
  });

  it("caps the listed files and says how many were left out", () => {
    const verbose = Array.from(
      { length: 25 },
      (_, i) => `{"message_type":"verbose_status","action":"new","item":"/d/f${i}","data_size":1}`,
    );
    const progress: BackupProgress[] = [];
    const log: string[] = [];
    const output = new BackupOutput({
      onProgress: (p) => progress.push(p),
      onLine: (_s, line) => log.push(line),
      maxFileLines: 10,
    });
    for (const l of verbose) output.stdout(l);
    output.finish();
    expect(log).toHaveLength(11);
    expect(log[10]).toBe("15 more new or changed files are not listed (the log lists the first 10)");
  });
});

describe("newer restic backup output (documented shapes)", () => {
  it("parses verbose_status scan_finished, {message} errors, exit_error and the full snapshot id", () => {
    const { output, progress, log } = feed(lines("0.17-backup.stdout.jsonl"), lines("0.17-backup-errors.stderr.txt"));
    expect(output.scanFinished).toBe(true);
    expect(progress[0]).toMatchObject({ filesTotal: null, bytesTotal: null });
    expect(progress[1]).toMatchObject({
      percent: 33.33,
      filesDone: 1,
      filesTotal: 3,
      etaSeconds: 2,
      currentFile: "/home/ana/photos/b.jpg",
    });
    const summary = toJobSummary(output.summary!, { errorCount: output.errorCount });
    expect(summary).toMatchObject({
      dataAdded: 2098176,
      dataAddedPacked: 2097500,
      snapshotId: "3c7b1ef2b9b8f7f0c6c0a3c6d6d2b0c4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0",
      errorCount: 2,
    });
    const text = log.map((l) => l.line);
    expect(text).toContain("new      /home/ana/new folder with\nnewline.txt (12 B)");
    expect(text).toContain("error: open /home/ana/private/key.pem: permission denied");
    expect(text).toContain("error: lstat /home/ana/gone: no such file or directory (during scan)");
    expect(text).toContain("Added to the repository: 2.001 MiB (2.000 MiB stored)");
    expect(text).toContain("snapshot 3c7b1ef2 saved");
  });

  it("reads exit_error as the fatal reason", () => {
    const { output } = feed([], lines("0.17-backup-fatal.stderr.txt"));
    expect(output.fatal).toBe("Fatal: wrong password or no key found");
  });

  it("classifies text, unknown types and broken JSON without throwing", () => {
    expect(parseBackupLine("using parent snapshot 1a2b3c4d")).toEqual({
      kind: "text",
      line: "using parent snapshot 1a2b3c4d",
    });
    expect(parseBackupLine('{"message_type":"something_new","x":1}')).toEqual({
      kind: "unknown",
      messageType: "something_new",
    });
    expect(parseBackupLine('{"message_type":"status","percent_d')).toMatchObject({ kind: "text" });
    expect(parseBackupLine("\x1b[2Ksignal interrupt received, cleaning up")).toEqual({
      kind: "text",
      line: "signal interrupt received, cleaning up",
    });
  });
});

describe("restic init output", () => {
  it("recognises an existing repository in 0.14 and newer error output", () => {
    expect(isAlreadyInitialised(fixture("0.14-init-exists.stderr.txt"))).toBe(true);
    expect(isAlreadyInitialised(fixture("0.17-init-exists.stderr.txt"))).toBe(true);
    expect(isAlreadyInitialised("Fatal: repository master key and config already initialized")).toBe(true);
    expect(isAlreadyInitialised(fixture("0.14-wrong-password.stderr.txt"))).toBe(false);
  });

  it("keeps 0.14's text and turns newer JSON into the same sentence", () => {
    expect(describeInitLine(lines("0.14-init.stdout.txt")[0]!)).toBe(
      "created restic repository b240a33d1a at /tmp/fx/repo",
    );
    expect(describeInitLine(lines("0.17-init.stdout.jsonl")[0]!)).toBe(
      "created restic repository 5f0c7a8a4bd4cc07b33ecbd9eb9a1e3a0e2fd79fce7a6e9a14d2b6a40c1e7b9d at /srv/restic-repo",
    );
  });
});

describe("restic snapshots output", () => {
  it("converts restic 0.14 snapshots to the protocol shape", () => {
    const raw = parseSnapshotsOutput(fixture("0.14-snapshots.stdout.txt"));
    expect(raw).toHaveLength(3);
    const converted = raw.map((s) => toProtocolSnapshot(s));
    expect(converted.every((c) => c.ok)).toBe(true);
    const [first, second] = converted.map((c) => (c.ok ? c.snapshot : null));
    expect(first).toEqual({
      id: "ed7dce798be08a437e0b58f42fa218672527fb0c045ef924a42980a96d49667c",
      shortId: "ed7dce79",
      time: Date.parse("2026-11-25T19:06:55.465Z"),
      hostname: "vm",
      username: "root",
      paths: ["/tmp/fx/data"],
      tags: ["default"],
      parent: null,
      summary: null,
    });
    expect(second?.parent).toBe(first?.id);
    expect(parseSnapshotsOutput(fixture("0.14-snapshots-empty.stdout.txt"))).toEqual([]);
  });

  it("converts newer snapshots with summaries, zone offsets and missing optional fields", () => {
    const raw = parseSnapshotsOutput(fixture("0.17-snapshots.stdout.txt"));
    const [a, b] = raw.map((s) => {
      const c = toProtocolSnapshot(s);
      if (!c.ok) throw new Error(c.reason);
      return c.snapshot;
    });
    expect(a!.time).toBe(Date.parse("2025-03-01T09:00:00.123Z"));
    expect(a!.summary).toMatchObject({
      backupStart: Date.parse("2025-03-01T09:00:00.123Z"),
      backupEnd: Date.parse("2025-03-01T09:00:02.500Z"),
      filesNew: 2,
      dataAddedPacked: 2097500,
      totalBytesProcessed: 3145740,
    });
    expect(b).toMatchObject({ shortId: "9f8e7d6c", username: null, tags: [], summary: null, parent: a!.id });
    for (const s of [a, b]) expect(ZSnapshot.safeParse(s).success).toBe(true);
  });

  it("refuses entries it cannot represent, with a reason", () => {
    expect(toProtocolSnapshot({ id: "abc", time: "2025-01-01T00:00:00Z" })).toMatchObject({ ok: false });
    expect(toProtocolSnapshot({ id: "a".repeat(64), time: "yesterday" })).toEqual({
      ok: false,
      reason: 'unreadable time "yesterday"',
    });
    expect(() => parseSnapshotsOutput("Fatal: wrong password")).toThrow(/no JSON array/);
  });

  it("splits a large listing into parts whose frames stay under MAX_FRAME_BYTES", () => {
    const snapshots: Snapshot[] = Array.from({ length: 3000 }, (_, i) => ({
      id: i.toString(16).padStart(64, "0"),
      shortId: i.toString(16).padStart(8, "0"),
      time: 1_700_000_000_000 + i,
      hostname: "host",
      username: "root",
      paths: [`/srv/data/${"x".repeat(400)}/${i}`],
      tags: ["daily"],
      parent: null,
      summary: null,
    }));
    const parts = splitSnapshotsReport(snapshots, "report-1");
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((p) => p.snapshots)).toEqual(snapshots);
    parts.forEach((part, i) => {
      expect(part).toMatchObject({ reportId: "report-1", part: i, parts: parts.length });
      const wire = createAgentMessage("snapshots.report", part);
      expect(Buffer.byteLength(wire)).toBeLessThan(MAX_FRAME_BYTES);
    });
    const empty = splitSnapshotsReport([], "report-2");
    expect(empty).toEqual([{ reportId: "report-2", part: 0, parts: 1, snapshots: [] }]);
  });

  it("trims the paths of a single snapshot too large for one frame", () => {
    const huge: Snapshot = {
      id: "f".repeat(64),
      shortId: "ffffffff",
      time: 1,
      hostname: "h",
      username: null,
      paths: Array.from({ length: 5000 }, (_, i) => `/p/${i}/${"y".repeat(400)}`),
      tags: [],
      parent: null,
      summary: null,
    };
    const [part] = splitSnapshotsReport([huge], "r");
    expect(part!.snapshots[0]!.paths.length).toBeLessThan(5000);
    expect(Buffer.byteLength(createAgentMessage("snapshots.report", part!))).toBeLessThan(MAX_FRAME_BYTES);
  });
});

describe("restic stats output", () => {
  it("reads 0.14 raw-data stats (no uncompressed size)", () => {
    expect(toRepoStats(parseStatsOutput(fixture("0.14-stats.stdout.txt")), 5)).toEqual({
      at: 5,
      totalSizeBytes: JSON.parse(fixture("0.14-stats.stdout.txt")).total_size,
      totalUncompressedSizeBytes: null,
      snapshotsCount: 3,
    });
    expect(toRepoStats(parseStatsOutput(fixture("0.14-stats-empty.stdout.txt")), 5)).toEqual({
      at: 5,
      totalSizeBytes: 0,
      totalUncompressedSizeBytes: null,
      snapshotsCount: 0,
    });
  });

  it("reads newer stats with the uncompressed size", () => {
    expect(toRepoStats(parseStatsOutput(fixture("0.17-stats.stdout.txt")), 5)).toEqual({
      at: 5,
      totalSizeBytes: 2097500,
      totalUncompressedSizeBytes: 3145740,
      snapshotsCount: 2,
    });
    expect(() => parseStatsOutput("")).toThrow(/no statistics/);
  });
});

describe("helpers", () => {
  it("parses restic times with nanoseconds and offsets", () => {
    expect(parseResticTime("2026-11-25T19:06:55.465892135Z")).toBe(Date.parse("2026-11-25T19:06:55.465Z"));
    expect(parseResticTime("2025-03-01T10:00:00+01:00")).toBe(Date.parse("2025-03-01T09:00:00Z"));
    expect(parseResticTime("2025-03-01 10:00")).toBeNull();
  });

  it("describes Go error structs and messages", () => {
    expect(describeResticError({ Op: "lstat", Path: "/x", Err: 2 })).toBe("lstat /x: no such file or directory");
    expect(describeResticError({ Op: "read", Path: "/y", Err: 999 })).toBe("read /y: errno 999");
    expect(describeResticError({ message: "boom" })).toBe("boom");
    expect(describeResticError("plain")).toBe("plain");
  });

  it("formats sizes like restic", () => {
    expect(formatBytes(38)).toBe("38 B");
    expect(formatBytes(1536)).toBe("1.500 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.000 GiB");
  });

  it("splits output into lines across chunk borders, multi-byte characters included", () => {
    const got: string[] = [];
    const splitter = lineSplitter((l) => got.push(l));
    const bytes = Buffer.from("first\r\nsé", "utf8");
    splitter.push(bytes.subarray(0, 9)); // cuts "é" in half
    splitter.push(Buffer.concat([bytes.subarray(9), Buffer.from("cond\nthird")]));
    splitter.end();
    expect(got).toEqual(["first", "sécond", "third"]);
  });
});
