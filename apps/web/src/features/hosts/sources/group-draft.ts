import { ZRetention } from "@restic-manager/api/schemas";
import { type FieldErrors, formValues, optionalNumber } from "../../../lib/validation";

/** One entry per line; blank lines and surrounding spaces do not count. */
export function linesOf(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

export const KEEP_FIELDS = [
  ["keepLast", "Keep last"],
  ["keepHourly", "Hourly"],
  ["keepDaily", "Daily"],
  ["keepWeekly", "Weekly"],
  ["keepMonthly", "Monthly"],
  ["keepYearly", "Yearly"],
] as const;

export type Retention = {
  keepLast: number | null;
  keepHourly: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
  keepWithin: string | null;
};

/** The group as the form holds it (the server's shape, with the hook text). */
export interface GroupDraft {
  id?: string;
  name: string;
  includePaths: string[];
  excludePatterns: string[];
  retention: Retention;
  retryMax: number;
  retryBackoffSeconds: number;
  hookTimeoutSeconds: number;
  preHook: string | null;
  postHook: string | null;
  usedBy?: { id: string; cron: string; enabled: boolean }[];
}

export const NEW_GROUP: GroupDraft = {
  name: "",
  includePaths: [],
  excludePatterns: [],
  retention: {
    keepLast: null,
    keepHourly: null,
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 6,
    keepYearly: null,
    keepWithin: null,
  },
  retryMax: 5,
  retryBackoffSeconds: 300,
  hookTimeoutSeconds: 300,
  preHook: null,
  postHook: null,
};

/** The fields as typed, checked: numbers that are not whole numbers are named here, zod does the rest. */
export function readGroupForm(form: HTMLFormElement) {
  const values = formValues(form);
  const errors: FieldErrors = {};
  const whole = (key: string, message: string, fallback?: number) => {
    const n = optionalNumber(values[key]);
    if (n === null) return fallback ?? null;
    if (!Number.isInteger(n)) errors[key] = message;
    return n;
  };
  const retention = Object.fromEntries(
    KEEP_FIELDS.map(([key]) => [key, whole(key, "A whole number from 1, or empty.")]),
  ) as Omit<Retention, "keepWithin">;
  const keepWithin = values.keepWithin?.trim() || null;
  const keepWithinCheck = ZRetention.shape.keepWithin.safeParse(keepWithin);
  if (!keepWithinCheck.success) errors.keepWithin = keepWithinCheck.error.issues[0]?.message ?? "";
  const retryMax = whole("retryMax", "A whole number of retries, 0 to 100.", 5) ?? 5;
  const retryBackoffSeconds = whole("retryBackoffSeconds", "Whole seconds, 10 to 86400.", 300) ?? 300;
  const hookTimeoutSeconds = whole("hookTimeoutSeconds", "Whole seconds, 1 to 86400.", 300) ?? 300;
  if (retryMax < 0 || retryMax > 100) errors.retryMax ??= "0 to 100 retries.";
  if (retryBackoffSeconds < 10 || retryBackoffSeconds > 86_400) errors.retryBackoffSeconds ??= "10 to 86400 seconds.";
  if (hookTimeoutSeconds < 1 || hookTimeoutSeconds > 86_400) errors.hookTimeoutSeconds ??= "1 to 86400 seconds.";
  return {
    errors,
    input: {
      name: values.name ?? "",
      includePaths: linesOf(values.includePaths),
      excludePatterns: linesOf(values.excludePatterns),
      retention: { ...retention, keepWithin },
      retryMax,
      retryBackoffSeconds,
      hookTimeoutSeconds,
      preHook: values.preHook ?? "",
      postHook: values.postHook ?? "",
    },
  };
}

/** Paths and retention are worth a conflict check: every number typed is whole and every keep-* at least 1. */
export function isCheckable({ input, errors }: ReturnType<typeof readGroupForm>): boolean {
  return (
    Object.keys(errors).length === 0 &&
    KEEP_FIELDS.every(([key]) => input.retention[key] === null || (input.retention[key] ?? 0) >= 1)
  );
}
