import { Label } from "@restic-manager/ui/label";
import { NativeSelect } from "@restic-manager/ui/native-select";
import type * as React from "react";

/** A labelled control in a list page's filter bar (the label's id is `${id}-label`). */
export function FilterField({ id, label, children }: { id: string; label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-2">
      <Label htmlFor={id} id={`${id}-label`}>
        {label}
      </Label>
      {children}
    </div>
  );
}

/**
 * A filter bar's drop-down: `options` as [value, label] pairs, and with `anyLabel` a first
 * option with the empty value that means "no filter".
 */
export function SelectFilter({
  id,
  label,
  value,
  onChange,
  options,
  anyLabel,
  className,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly (readonly [string, string])[];
  anyLabel?: string;
  className?: string;
}) {
  return (
    <FilterField id={id} label={label}>
      <NativeSelect
        id={id}
        wrapperClassName={className}
        value={value}
        onChange={(event) => onChange(event.currentTarget.value)}
      >
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </NativeSelect>
    </FilterField>
  );
}
