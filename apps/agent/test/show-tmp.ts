import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { createHash } from "node:crypto";
import { startFakeServer } from "./helpers/fake-server.js";
const binary = readFileSync("bin/restic-manager-agent-linux-x64");
const sha = createHash("sha256").update(binary).digest("hex");
const server = await startFakeServer({ onEnroll: () => ({ status: 201, body: { hostId: "01JX", agentToken: "t" } }),
  onGet: (u) => u.pathname === "/agent/binary" ? { status: 200, body: binary } : u.pathname === "/agent/binary.sha256" ? { status: 200, body: sha } : null });
const root = "/tmp/show-root"; execFileSync("rm", ["-rf", root]);
mkdirSync(root + "/etc/cron.d", { recursive: true }); writeFileSync(root + "/etc/cron.d/restic", "0 1 * * * root restic backup /etc\n");
mkdirSync(root + "/etc/cron.weekly", { recursive: true }); writeFileSync(root + "/etc/cron.weekly/restic-check", "#!/bin/sh\nrestic check\n"); chmodSync(root + "/etc/cron.weekly/restic-check", 0o755);
writeFileSync("/tmp/show-install.sh", readFileSync("../../deploy/install.sh", "utf8").replaceAll("__SERVER_URL__", server.url));
try { console.log(execFileSync("sh", ["/tmp/show-install.sh"], { env: { PATH: process.env.PATH, RM_INSTALL_ROOT: root, RM_TOKEN: "x" }, encoding: "utf8" })); } catch (e) { console.log(e.stdout, e.stderr); }
await server.close();
