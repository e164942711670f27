import { createAgentMessage } from "@restic-manager/protocol";
import type { ServerHandler } from "../context.js";
import { registerSecret } from "../log.js";

/**
 * `config.update`: the repository credentials. They go to the encrypted secrets file and
 * nowhere else; the ack carries the version and, on failure, a reason without the password.
 * The server is the source of truth, so whatever it sends replaces what is stored (even an
 * older version number, e.g. after the server's database was restored).
 */
export const handleConfigUpdate: ServerHandler<"config.update"> = (payload, ctx) => {
  registerSecret(payload.repository.password);
  try {
    ctx.secrets.write(payload.version, payload.repository);
    ctx.log.info(`stored repository credentials, config version ${payload.version}`);
    ctx.send(createAgentMessage("config.ack", { version: payload.version, error: null }));
  } catch (error) {
    const reason = `cannot store the repository credentials in ${ctx.secrets.path}: ${(error as Error).message}`;
    ctx.log.error(reason);
    ctx.send(createAgentMessage("config.ack", { version: payload.version, error: reason.slice(0, 1024) }));
  }
};
