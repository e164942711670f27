/** The shape of a zod `safeParse` result, so forms need no zod types of their own. */
interface ParseResult<T> {
  success: boolean;
  data?: T | undefined;
  error?: { issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }> } | undefined;
}

export type FieldErrors = Partial<Record<string, string>>;

/** The first message per top-level field, ready for <FormField error>. */
export function fieldErrorsOf(result: ParseResult<unknown>): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of result.error?.issues ?? []) {
    const field = String(issue.path[0] ?? "form");
    errors[field] ??= issue.message;
  }
  return errors;
}

export function formValues(form: HTMLFormElement): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of new FormData(form)) if (typeof value === "string") values[key] = value;
  return values;
}
