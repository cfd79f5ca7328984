import { z } from "zod";

/** A range of event time, optionally of one tenant: what replay and reconciliation act on. */
export const timeRange = z
  .object({
    from: z.iso.datetime({ offset: true, error: "from must be an ISO 8601 date-time" }),
    to: z.iso.datetime({ offset: true, error: "to must be an ISO 8601 date-time" }),
    tenant: z.string().min(1).optional(),
  })
  .refine((range) => Date.parse(range.from) < Date.parse(range.to), {
    message: "from must be before to",
    path: ["to"],
  });
