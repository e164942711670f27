/**
 * The public API's response schemas against what the services return. tRPC already refuses a
 * service answer the schema cannot take; these also fail when a service returns a field the
 * schema does not name (it would be stripped from the answer, or, for checked-once answers,
 * sent untyped), so a schema cannot silently fall behind its service.
 */
import type { Core } from "@restic-manager/core";
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type {
  ZAlert,
  ZAlertDelivery,
  ZAlertOpenCountResponse,
  ZBackupHealthItem,
  ZChannel,
  ZHost,
  ZHostListResponse,
  ZJob,
  ZJobDispatchResponse,
  ZJobListItem,
  ZJobLogLine,
  ZRepoRunForgetResponse,
  ZRepoRunResponse,
  ZSchedule,
  ZScheduleListItem,
  ZSnapshot,
  ZSourceGroup,
} from "../src/contract.js";

type Returned<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

describe("response schemas name exactly what the services return", () => {
  it("hosts", () => {
    expectTypeOf<Returned<Core["hosts"]["list"]>>().toEqualTypeOf<z.output<typeof ZHostListResponse>>();
    expectTypeOf<Returned<Core["hosts"]["get"]>>().toEqualTypeOf<z.output<typeof ZHost>>();
    expectTypeOf<Returned<Core["reports"]["snapshots"]>[number]>().toEqualTypeOf<z.output<typeof ZSnapshot>>();
  });
  it("jobs", () => {
    expectTypeOf<Returned<Core["jobs"]["list"]>[number]>().toEqualTypeOf<z.output<typeof ZJobListItem>>();
    expectTypeOf<Returned<Core["jobs"]["get"]>>().toEqualTypeOf<z.output<typeof ZJob>>();
    expectTypeOf<Returned<Core["jobs"]["logs"]>[number]>().toEqualTypeOf<z.output<typeof ZJobLogLine>>();
    expectTypeOf<Returned<Core["runNow"]["backup"]>>().toEqualTypeOf<z.output<typeof ZJobDispatchResponse>>();
  });
  it("repository maintenance", () => {
    expectTypeOf<Returned<Core["runNow"]["forget"]>>().toEqualTypeOf<z.output<typeof ZRepoRunForgetResponse>>();
    expectTypeOf<Returned<Core["runNow"]["prune"]>>().toEqualTypeOf<z.output<typeof ZRepoRunResponse>>();
    expectTypeOf<Returned<Core["runNow"]["check"]>>().toEqualTypeOf<z.output<typeof ZRepoRunResponse>>();
    expectTypeOf<Returned<Core["runNow"]["unlock"]>>().toEqualTypeOf<z.output<typeof ZRepoRunResponse>>();
  });
  it("sources and schedules", () => {
    expectTypeOf<Returned<Core["sources"]["list"]>[number]>().toEqualTypeOf<z.output<typeof ZSourceGroup>>();
    expectTypeOf<Returned<Core["schedules"]["list"]>[number]>().toEqualTypeOf<z.output<typeof ZScheduleListItem>>();
    expectTypeOf<Returned<Core["schedules"]["get"]>>().toEqualTypeOf<z.output<typeof ZSchedule>>();
  });
  it("alerts and channels", () => {
    expectTypeOf<Returned<Core["alerts"]["get"]>>().toEqualTypeOf<z.output<typeof ZAlert>>();
    expectTypeOf<Returned<Core["alerts"]["openCount"]>>().toEqualTypeOf<z.output<typeof ZAlertOpenCountResponse>>();
    expectTypeOf<Returned<Core["alertDelivery"]["log"]>[number]>().toEqualTypeOf<z.output<typeof ZAlertDelivery>>();
    expectTypeOf<Returned<Core["alertChannels"]["get"]>>().toEqualTypeOf<z.output<typeof ZChannel>>();
    expectTypeOf<Returned<Core["backupHealth"]["list"]>["items"][number]>().toEqualTypeOf<
      z.output<typeof ZBackupHealthItem>
    >();
  });
});
