/**
 * `restic unlock` removes stale locks only (older than 30 minutes, or left by a process that no
 * longer runs on this host); `--remove-all` removes every lock, also those of running restics.
 */
import type { CommandRunPayload } from "@restic-manager/protocol";

export type UnlockParams = Extract<CommandRunPayload, { kind: "unlock" }>["params"];

export const unlockArgs = (params: UnlockParams): string[] =>
  params.removeAll ? ["unlock", "--remove-all"] : ["unlock"];
