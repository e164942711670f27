/**
 * The protocol's golden `command.run` fixtures for the maintenance kinds and a capped backup,
 * parsed by the protocol and turned into restic argument arrays by the agent's builders.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CommandRunPayload, ZCommandRunPayload } from "@restic-manager/protocol";
import { describe, expect, it } from "vitest";
import { backupArgs } from "../src/restic/backup.js";
import { checkArgs } from "../src/restic/check.js";
import { formatCommandLine, limitArgs } from "../src/restic/common.js";
import { forgetArgs } from "../src/restic/forget.js";
import { pruneArgs } from "../src/restic/prune.js";
import { unlockArgs } from "../src/restic/unlock.js";

const FIXTURES = join(import.meta.dirname, "../../../packages/protocol/test/fixtures");
const load = <K extends CommandRunPayload["kind"]>(name: string, kind: K) => {
  const raw = JSON.parse(readFileSync(join(FIXTURES, `server.command.run.${name}.json`), "utf8"));
  const payload = ZCommandRunPayload.parse(raw.payload);
  expect(payload.kind).toBe(kind);
  return payload as Extract<CommandRunPayload, { kind: K }>;
};
const line = (c: CommandRunPayload, args: string[]) => formatCommandLine("restic", [...limitArgs(c.limits), ...args]);

describe("golden command.run fixtures", () => {
  it("backup with hooks and an upload cap", () => {
    const c = load("backup.hooks", "backup");
    expect(line(c, backupArgs(c.params))).toBe(
      "$ restic --limit-upload 2048 backup --json -v --tag=databases -- /var/lib/postgresql/dumps",
    );
    expect(c.params.hooks?.timeoutSeconds).toBe(600);
  });

  it("forget, prune (plain and admin), check, unlock", () => {
    const forget = load("forget", "forget");
    expect(line(forget, forgetArgs(forget.params))).toBe(
      "$ restic forget --json --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune",
    );
    const prune = load("prune", "prune");
    expect(pruneArgs(prune.params)[0]).toBe("prune");
    const admin = load("prune.admin", "prune");
    expect(line(admin, pruneArgs(admin.params))).toBe("$ restic prune --max-unused 5%");
    // The admin credential never reaches argv (only the job's environment).
    expect(line(admin, pruneArgs(admin.params))).not.toContain(admin.adminRepository!.password);
    const check = load("check", "check");
    expect(checkArgs(check.params)[0]).toBe("check");
    const unlock = load("unlock", "unlock");
    expect(unlockArgs(unlock.params)).toEqual(unlock.params.removeAll ? ["unlock", "--remove-all"] : ["unlock"]);
  });
});
