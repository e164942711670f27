import { Button } from "@restic-manager/ui/button";
import { Link } from "@tanstack/react-router";
import { ShieldAlertIcon } from "lucide-react";
import { ROLE_LABELS, type Role } from "../features/auth/current-user";
import { StatusPanel } from "./status-screens";

/** A page the signed-in user's role may not see (the server answers FORBIDDEN too). */
export function Forbidden({ role, username, needed }: { role: Role; username: string; needed: Role }) {
  return (
    <StatusPanel
      icon={<ShieldAlertIcon />}
      title={`You need the ${needed} role`}
      actions={
        <Button asChild variant="outline">
          <Link to="/">Back to the dashboard</Link>
        </Button>
      }
    >
      <p>
        You are signed in as <span className="font-medium text-foreground">{username}</span> with the{" "}
        {ROLE_LABELS[role].toLowerCase()} role. Ask an admin of this console to change your role if you need this page.
      </p>
    </StatusPanel>
  );
}
