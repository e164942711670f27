import { AgentCard } from "./agent-card";
import { DangerZone } from "./danger-zone";
import type { Host } from "./types";

/** What the host's agent reported, and (admins) revoking it or deleting the host. */
export function SettingsTab({ host }: { host: Host }) {
  return (
    <>
      <div className="grid gap-6 lg:grid-cols-2">
        <AgentCard host={host} />
      </div>
      <DangerZone host={host} scope="host" />
    </>
  );
}
