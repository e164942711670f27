/** Child processes the bench started (consoles, simulators, agents): killed when the bench exits. */
import type { ChildProcess } from "node:child_process";

const children = new Map<ChildProcess, string>();

export function track<T extends ChildProcess>(child: T, group = "default"): T {
  children.set(child, group);
  child.once("exit", () => children.delete(child));
  return child;
}

/** SIGKILLs every tracked child still running (all, or all but `except`'s group). */
export function killAll(except?: string): void {
  for (const [child, group] of children) {
    if (group === except) continue;
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    children.delete(child);
  }
}

process.once("exit", () => killAll());
