import { Button } from "@restic-manager/ui/button";
import { Link } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";

export function AddHostButton({
  variant = "default",
  size = "default",
}: {
  variant?: "default" | "outline";
  size?: "default" | "sm";
}) {
  return (
    <Button asChild variant={variant} size={size}>
      <Link to="/hosts/new">
        <PlusIcon aria-hidden="true" />
        Add host
      </Link>
    </Button>
  );
}
