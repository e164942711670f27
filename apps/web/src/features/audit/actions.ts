/** Audit actions the server writes today, for the filter. New areas add theirs here. */
export const AUDIT_ACTIONS: Array<{ value: string; label: string }> = [
  { value: "auth.setup", label: "First-run setup" },
  { value: "auth.sign_in", label: "Sign-in" },
  { value: "auth.sign_in_failed", label: "Failed sign-in" },
  { value: "auth.sign_out", label: "Sign-out" },
  { value: "api_token.create", label: "API token created" },
  { value: "api_token.revoke", label: "API token revoked" },
  { value: "user.create", label: "User created" },
  { value: "user.set_role", label: "Role changed" },
  { value: "user.disable", label: "User disabled" },
  { value: "user.enable", label: "User enabled" },
];

/** Actions whose rows deserve a second look. */
export const WARNING_ACTIONS = new Set(["auth.sign_in_failed", "user.disable", "api_token.revoke"]);
