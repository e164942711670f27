/** The shape of a zod `safeParse` result, so forms need no zod types of their own. */
interface ParseResult<T> {
  success: boolean;
  data?: T | undefined;
  error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } | undefined;
}

export type FieldErrors = Partial<Record<string, string>>;

/**
 * The first message per field, ready for <FormField error>. A field is its path without array
 * indexes: `includePaths`, or `retention.keepDaily` inside a nested object.
 */
export function fieldErrorsOf(result: ParseResult<unknown>): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of result.error?.issues ?? []) {
    const field = issue.path.filter((part) => typeof part === "string").join(".") || "form";
    errors[field] ??= issue.message;
  }
  return errors;
}

/**
 * The server names the field a validation refusal is about as a prefix, `cron: expected 5
 * fields…`; this puts such a message beside that field when the form has it.
 */
export function serverFieldError(message: string, fields: readonly string[]): FieldErrors | null {
  const match = /^([A-Za-z]+): (.+)$/s.exec(message);
  if (!match?.[1] || !match[2] || !fields.includes(match[1])) return null;
  return { [match[1]]: match[2] };
}

/** An optional whole number from a text input: "" is null, anything else is a number (maybe NaN). */
export function optionalNumber(value: string | undefined): number | null {
  const text = (value ?? "").trim();
  return text === "" ? null : Number(text);
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of new FormData(form)) if (typeof value === "string") values[key] = value;
  return values;
}

export interface BandwidthLimits {
  uploadKbps: number | null;
  downloadKbps: number | null;
}

/** Bandwidth caps as typed (`uploadKbps`, `downloadKbps`): empty is no limit, else a whole number of KB/s from 1. */
export function readBandwidthLimits(values: Record<string, string>): { limits: BandwidthLimits; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const read = (key: keyof BandwidthLimits) => {
    const n = optionalNumber(values[key]);
    if (n !== null && (!Number.isInteger(n) || n < 1)) errors[key] = "A whole number of KB/s from 1, or empty.";
    return n;
  };
  return { limits: { uploadKbps: read("uploadKbps"), downloadKbps: read("downloadKbps") }, errors };
}
