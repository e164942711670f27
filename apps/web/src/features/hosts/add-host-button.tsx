import { Button } from "@restic-manager/ui/button";
import { Link } from "@tanstack/react-router";
import { PlusIcon } from "lucide-react";

export function AddHostButton({ variant = "default" }: { variant?: "default" | "outline" }) {
  return (
    <Button asChild variant={variant}>
      <Link to="/hosts/new">
        <PlusIcon aria-hidden="true" />
        Add host
      </Link>
    </Button>
  );
}
