/** `restic prune [--max-unused X]`: text output, streamed line by line. */
import type { CommandRunPayload } from "@restic-manager/protocol";

export type PruneParams = Extract<CommandRunPayload, { kind: "prune" }>["params"];

export const pruneArgs = (params: PruneParams): string[] =>
  params.maxUnused === null ? ["prune"] : ["prune", "--max-unused", params.maxUnused];
