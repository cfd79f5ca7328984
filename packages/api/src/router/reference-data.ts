import { browseReferenceData, deleteReferenceRow, saveAccount, saveContract } from "@meterflow/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { procedureFor, router, workspaceProcedure } from "../trpc";

const currency = z
  .string()
  .trim()
  .regex(/^[A-Z]{3}$/, "currency must be an ISO 4217 code such as EUR");
const optionalText = z
  .string()
  .trim()
  .max(200)
  .transform((text) => text || null)
  .nullish();
const decimal = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, "must be a decimal number such as 1000");

const account = z.object({
  tenantId: z.string().trim().min(1, "Name the tenant (the events' data.tenantId)").max(200),
  name: z.string().trim().max(200).default(""),
  erpAccountId: z.string().trim().min(1, "Give the tenant's ERP account (its customer id in the ERP)").max(200),
  crmAccountId: optionalText,
  parentErpAccountId: optionalText,
  region: optionalText,
  currency: currency.nullish(),
});

const contract = z
  .object({
    contractId: z.string().trim().min(1, "Give the contract an id").max(200),
    tenantId: z.string().trim().min(1, "Name the tenant the contract is with").max(200),
    priceList: z.string().trim().min(1, "Name the price list the contract prices with").max(200),
    currency,
    region: optionalText,
    startsOn: z.iso.date("startsOn (From) must be a date such as 2026-01-01"),
    endsOn: z.iso.date("endsOn (To) must be a date such as 2026-12-31").nullish(),
    entitlements: z
      .array(
        z.object({
          metric: z.string().trim().min(1, "Name the entitlement's metric"),
          includedUnits: decimal,
          alertThresholdPercent: z.number().min(0).max(100).optional(),
          overagePriceRef: z.string().optional(),
        }),
      )
      .default([]),
  })
  .refine((input) => !input.endsOn || input.endsOn >= input.startsOn, {
    message: "endsOn (To) must not be before startsOn (From)",
    path: ["endsOn"],
  });

/** The workspace's reference data: accounts and contracts an operator adds or fixes (then retries the exceptions they caused), products and price lists. */
export const referenceDataRouter = router({
  browse: workspaceProcedure
    .input(
      z
        .object({ search: z.string().trim().max(200).optional(), limit: z.number().int().min(1).max(500).default(100) })
        .default({ limit: 100 }),
    )
    .query(({ ctx, input }) => browseReferenceData(ctx.db, ctx.workspaceId, input)),
  saveAccount: procedureFor("operator")
    .input(account)
    .mutation(({ ctx, input }) =>
      saveAccount(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, account: input }),
    ),
  saveContract: procedureFor("operator")
    .input(contract)
    .mutation(({ ctx, input }) =>
      saveContract(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, contract: input }),
    ),
  /** Removes an account (by tenant) or a contract (by contract id). */
  remove: procedureFor("operator")
    .input(z.object({ kind: z.enum(["account", "contract"]), id: z.string().trim().min(1).max(200) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await deleteReferenceRow(ctx.db, { workspaceId: ctx.workspaceId, actor: ctx.actor, ...input }))) {
        throw new TRPCError({
          code: "NOT_FOUND",
          message: `There is no ${input.kind} ${JSON.stringify(input.id)} in this workspace`,
        });
      }
      return { removed: true as const };
    }),
});
