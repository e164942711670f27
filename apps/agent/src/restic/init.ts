/**
 * `restic init --json`. restic 0.14 ignores --json here and prints text ("created restic
 * repository 1a2b3c4d5e at /srv/restic"); newer restic prints one JSON line
 * `{"message_type":"initialized","id":...,"repository":...}`. An existing repository is not an
 * error for the console: init runs on every host's first connection.
 */
import { z } from "zod";
import { parseJsonObject } from "./common.js";

export const initArgs = (): string[] => ["init", "--json"];

export const ZInitialized = z.object({
  message_type: z.literal("initialized"),
  id: z.string(),
  repository: z.string(),
});

/** stderr of a failed init that means "there is a repository already". */
const ALREADY_INITIALISED = [
  /config file already exists/i,
  /repository master key and config already initialized/i,
  /repository already (exists|initialized)/i,
];

export function isAlreadyInitialised(stderr: string): boolean {
  return ALREADY_INITIALISED.some((pattern) => pattern.test(stderr));
}

/** One stdout line as a log line: the JSON form becomes restic's text sentence. */
export function describeInitLine(line: string): string {
  const json = parseJsonObject(line);
  if (!json) return line;
  const parsed = ZInitialized.safeParse(json);
  return parsed.success ? `created restic repository ${parsed.data.id} at ${parsed.data.repository}` : line;
}
