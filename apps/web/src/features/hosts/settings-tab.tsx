import { AgentCard } from "./agent-card";
import { DangerZone } from "./danger-zone";
import { RepositoryCard } from "./repository-card";
import type { Host } from "./types";

/** The host's repository connection, what its agent reported, and the danger zone. */
export function SettingsTab({ host, canEditRepository }: { host: Host; canEditRepository: boolean }) {
  return (
    <>
      <div className="grid gap-6 lg:grid-cols-2">
        <RepositoryCard host={host} canEdit={canEditRepository} />
        <AgentCard host={host} />
      </div>
      <DangerZone host={host} />
    </>
  );
}
