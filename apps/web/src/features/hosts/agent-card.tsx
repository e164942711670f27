import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { CircleCheckIcon, CpuIcon, RefreshCwIcon } from "lucide-react";
import { AbsoluteTime, LiveRelativeTime } from "../../components/date-cell";
import { DetailList, DetailRow } from "./detail-list";
import { platformOf } from "./status";
import type { Host } from "./types";

function Dash() {
  return <span className="text-muted-foreground">—</span>;
}

/** What the agent reported and whether it applied the console's latest configuration. */
export function AgentCard({ host }: { host: Host }) {
  const inSync = host.configAckedVersion === host.configVersion;
  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <CpuIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Agent
        </CardTitle>
        <CardDescription>What the agent reported when it last connected.</CardDescription>
      </CardHeader>
      <CardContent>
        <DetailList>
          <DetailRow label="Agent version">
            {host.agentVersion ? <span className="font-mono text-[13px]">{host.agentVersion}</span> : <Dash />}
          </DetailRow>
          <DetailRow label="Protocol version">
            {host.protocolVersion !== null ? <span className="tabular-nums">{host.protocolVersion}</span> : <Dash />}
          </DetailRow>
          <DetailRow label="OS / arch">{platformOf(host) ?? <Dash />}</DetailRow>
          <DetailRow label="Configuration">
            {inSync ? (
              <span className="inline-flex items-center gap-1.5 text-success">
                <CircleCheckIcon className="size-3.5" aria-hidden="true" />
                agent in sync
              </span>
            ) : (
              <span className="inline-flex items-center gap-1.5 text-warning">
                <RefreshCwIcon className="size-3.5" aria-hidden="true" />
                agent at v{host.configAckedVersion ?? "–"}, console at v{host.configVersion}
              </span>
            )}
          </DetailRow>
          <DetailRow label="Enrolled">
            <AbsoluteTime value={host.createdAt} />
          </DetailRow>
          <DetailRow label="Last seen">
            <LiveRelativeTime value={host.lastSeenAt} never="Never" />
          </DetailRow>
        </DetailList>
      </CardContent>
    </Card>
  );
}
