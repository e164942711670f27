import { Link } from "@tanstack/react-router";
import { ArrowLeftIcon } from "lucide-react";
import type { FileRoutesByTo } from "../routeTree.gen";

/** The way up from a detail page, above its header. */
export function BackLink({ to, children }: { to: keyof FileRoutesByTo; children: string }) {
  return (
    <Link
      to={to}
      className="-ml-1 mb-3 inline-flex items-center gap-1 rounded-md px-1 text-muted-foreground text-sm outline-none transition-colors hover:text-foreground focus-visible:ring-[3px] focus-visible:ring-ring/50 [&_svg]:size-3.5"
    >
      <ArrowLeftIcon aria-hidden="true" />
      {children}
    </Link>
  );
}
