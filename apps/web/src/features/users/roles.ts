import { ROLE_LABELS, type Role } from "../auth/current-user";

export const ROLE_OPTIONS: Array<{ value: Role; label: string }> = (["viewer", "operator", "admin"] as const).map(
  (value) => ({ value, label: ROLE_LABELS[value] }),
);
