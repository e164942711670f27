/** repo.*: request and response schemas of what scripts run (maintenance Run-now, bandwidth). Pure zod. */
import { z } from "zod";
import { ZOk } from "../list.js";
import { ZBandwidth, ZId } from "../schemas.js";
import { ZJobDispatchResponse } from "./jobs.types.js";

export const ZRepoHostRequest = z.object({ hostId: ZId });

/** Forget for one group, or every group of the host with a retention policy. */
export const ZRepoRunForgetRequest = z.object({ hostId: ZId, groupId: ZId.optional() });
export const ZRepoRunForgetResponse = z.object({
  /** One job per group forgotten. */
  jobIds: z.array(z.string()),
  /** Names of the groups skipped for having no retention policy. */
  skipped: z.array(z.string()),
});
export const ZRepoRunPruneRequest = ZRepoHostRequest;
/** Check reading `subsetPct` % of the data (default: the host's maintenance setting). */
export const ZRepoRunCheckRequest = z.object({ hostId: ZId, subsetPct: z.number().int().min(0).max(100).optional() });
export const ZRepoRunUnlockRequest = ZRepoHostRequest;
export const ZRepoRunResponse = ZJobDispatchResponse;

export const ZRepoUpdateBandwidthRequest = ZBandwidth.extend({ hostId: ZId });
export const ZRepoUpdateBandwidthResponse = ZOk;
