/**
 * `restic check [--read-data-subset X]`: text output, streamed. A non-zero exit means restic
 * found damage (or could not open the repository); its stderr says what.
 */
import type { CommandRunPayload } from "@restic-manager/protocol";

export type CheckParams = Extract<CommandRunPayload, { kind: "check" }>["params"];

export const checkArgs = (params: CheckParams): string[] =>
  params.readDataSubset === null ? ["check"] : ["check", `--read-data-subset=${params.readDataSubset}`];
