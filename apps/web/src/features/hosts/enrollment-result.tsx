import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardHeader } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import { CheckIcon, CopyIcon, TriangleAlertIcon } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";
import { FormField } from "../../components/form-field";
import { copyText } from "../../lib/clipboard";
import { formatClock, formatIso } from "../../lib/format";
import { AwaitingAgent } from "./awaiting-agent";
import type { Enrollment } from "./types";

/** The token, shown once inside the two install commands, and the live panel that follows the agent. */
export function EnrollmentResult({ enrollment, onStartOver }: { enrollment: Enrollment; onStartOver: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The form just gave way to this: move focus here so keyboard and screen-reader users follow.
  useEffect(() => heading.current?.focus(), []);

  return (
    <div className="grid gap-6">
      <Card>
        <CardHeader>
          <h2 ref={heading} tabIndex={-1} className="font-semibold leading-none outline-none">
            Install the agent on <span className="font-mono">{enrollment.hostname}</span>
          </h2>
          <CardDescription className="leading-relaxed">
            Run one command on the host: as root on Linux, or in an elevated PowerShell on Windows. It downloads the
            agent from this console, checks its SHA-256, enrols it and starts its service.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-5">
          <Alert variant="warning">
            <TriangleAlertIcon aria-hidden="true" />
            <AlertTitle>The token is shown once</AlertTitle>
            <AlertDescription>
              <p>
                These commands carry a one-time token,{" "}
                <span className="font-medium text-foreground">
                  valid until{" "}
                  <time dateTime={formatIso(enrollment.expiresAt)} className="tabular-nums">
                    {formatClock(enrollment.expiresAt)}
                  </time>
                  , 1 hour
                </span>
                . Copy the command now: it is not shown again once you leave this page.
              </p>
            </AlertDescription>
          </Alert>
          <CommandBlock
            id="linux-command"
            label="Linux install command"
            copyLabel="Copy Linux command"
            command={enrollment.commands.linux}
          />
          <CommandBlock
            id="windows-command"
            label="Windows install command"
            copyLabel="Copy Windows command"
            command={enrollment.commands.windows}
          />
        </CardContent>
      </Card>

      <AwaitingAgent
        id={enrollment.id}
        hostname={enrollment.hostname}
        expiresAt={enrollment.expiresAt}
        onStartOver={onStartOver}
      />

      <div className="flex flex-wrap gap-2">
        <Button variant="outline" onClick={onStartOver}>
          Add another host
        </Button>
        <Button asChild variant="ghost">
          <Link to="/hosts">Go to hosts</Link>
        </Button>
      </div>
    </div>
  );
}

function CommandBlock({
  id,
  label,
  copyLabel,
  command,
}: {
  id: string;
  label: string;
  copyLabel: string;
  command: string;
}) {
  const field = useRef<HTMLTextAreaElement>(null);
  const [copied, setCopied] = useState(false);

  const copy = async () => {
    if (await copyText(command, field.current)) {
      setCopied(true);
      toast.success(`${label} copied to the clipboard.`);
    } else {
      field.current?.select();
      toast.error("Could not copy automatically. The command is selected: press Ctrl+C (⌘C on a Mac).");
    }
  };

  return (
    <FormField id={id} label={label}>
      {(aria) => (
        <div className="relative">
          <textarea
            {...aria}
            ref={field}
            value={command}
            readOnly
            rows={3}
            spellCheck={false}
            autoCapitalize="none"
            autoCorrect="off"
            onFocus={(event) => event.currentTarget.select()}
            className="field-sizing-content block min-h-10 w-full resize-none wrap-anywhere rounded-md border bg-muted/50 py-2.5 pr-24 pl-3 font-mono text-xs leading-relaxed outline-none focus-visible:border-ring focus-visible:ring-[3px] focus-visible:ring-ring/50 dark:bg-input/20"
          />
          <Button
            variant="outline"
            size="sm"
            onClick={copy}
            aria-label={copyLabel}
            className="absolute top-2 right-2 h-7 bg-background"
          >
            {copied ? <CheckIcon aria-hidden="true" /> : <CopyIcon aria-hidden="true" />}
            {copied ? "Copied" : "Copy"}
          </Button>
        </div>
      )}
    </FormField>
  );
}
