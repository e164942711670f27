import type { LucideIcon } from "lucide-react";
import { HistoryIcon, KeyRoundIcon, LayoutDashboardIcon, ScrollTextIcon, ServerIcon, UsersIcon } from "lucide-react";
import type { FileRoutesByTo } from "../../routeTree.gen";
import { hasRole, type Role } from "../auth/current-user";

export interface NavItem {
  to: keyof FileRoutesByTo;
  label: string;
  icon: LucideIcon;
  /** Active only on this exact path (the dashboard would otherwise match everything). */
  exact?: boolean;
}

export interface NavSection {
  label: string;
  /** Hidden from roles below this one; the server enforces the same rule. */
  minimumRole?: Role;
  items: NavItem[];
}

/** Only pages that work today. A new area adds its entry here. */
export const NAV_SECTIONS: NavSection[] = [
  {
    label: "Console",
    items: [
      { to: "/", label: "Dashboard", icon: LayoutDashboardIcon, exact: true },
      { to: "/hosts", label: "Hosts", icon: ServerIcon },
      { to: "/jobs", label: "Jobs", icon: HistoryIcon },
    ],
  },
  { label: "Settings", items: [{ to: "/settings/tokens", label: "API tokens", icon: KeyRoundIcon }] },
  {
    label: "Administration",
    minimumRole: "admin",
    items: [
      { to: "/admin/users", label: "Users", icon: UsersIcon },
      { to: "/admin/audit", label: "Audit log", icon: ScrollTextIcon },
    ],
  },
];

export function sectionsFor(role: Role): NavSection[] {
  return NAV_SECTIONS.filter((section) => !section.minimumRole || hasRole(role, section.minimumRole));
}
