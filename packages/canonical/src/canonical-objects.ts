import { decimalSchema, moneySchema } from "./money";

const id = { type: "string", minLength: 1 } as const;
const dateTime = { type: "string", format: "date-time" } as const;
const ratingPeriod = {
  type: "string",
  pattern: "^\\d{4}-\\d{2}(-\\d{2})?$",
  description: "YYYY-MM or YYYY-MM-DD",
} as const;

const audit = {
  type: "object",
  required: ["flowId", "flowVersion", "nodeId", "correlationId"],
  properties: {
    flowId: id,
    flowVersion: { type: "integer", minimum: 1 },
    flowVersionHash: { type: "string" },
    nodeId: id,
    mappingRef: { type: "string" },
    receivedAt: dateTime,
    validatedAt: dateTime,
    eventTime: dateTime,
    correlationId: id,
  },
} as const;

function canonical<const P extends Record<string, unknown>, const R extends readonly string[]>(
  name: string,
  version: number,
  description: string,
  properties: P,
  required: R,
) {
  return {
    $id: `https://meterflow.dev/schemas/${name}/${version}`,
    title: `${name}@${version}`,
    description,
    type: "object",
    required,
    properties,
  } as const;
}

export const accountSchema = canonical(
  "Account",
  1,
  "A customer as known to product, ERP and CRM.",
  {
    tenantId: id,
    name: { type: "string" },
    erpAccountId: id,
    crmAccountId: { type: "string" },
    parentErpAccountId: { type: "string" },
    region: { type: "string" },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
  },
  ["tenantId", "erpAccountId"],
);

export const subscriptionSchema = canonical(
  "Subscription",
  1,
  "A plan a tenant subscribes to.",
  {
    subscriptionId: id,
    tenantId: id,
    planCode: id,
    startsOn: { type: "string", format: "date" },
    endsOn: { type: "string", format: "date" },
    status: { enum: ["active", "paused", "cancelled"] },
  },
  ["subscriptionId", "tenantId", "planCode", "startsOn", "status"],
);

export const contractSchema = canonical(
  "Contract",
  1,
  "Commercial terms, including entitlements per metric.",
  {
    contractId: id,
    tenantId: id,
    priceList: id,
    region: { type: "string" },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
    startsOn: { type: "string", format: "date" },
    endsOn: { type: "string", format: "date" },
    entitlements: {
      type: "array",
      items: {
        type: "object",
        required: ["metric", "includedUnits"],
        properties: {
          metric: id,
          includedUnits: decimalSchema,
          alertThresholdPercent: { type: "number", minimum: 0, maximum: 1000 },
          overagePriceRef: { type: "string" },
        },
      },
    },
  },
  ["contractId", "tenantId", "priceList", "currency", "startsOn", "entitlements"],
);

export const productSchema = canonical(
  "Product",
  1,
  "A product code and the ERP item it bills as.",
  {
    productCode: id,
    erpItemCode: id,
    name: { type: "string" },
    unit: { type: "string" },
    revenueTreatment: { enum: ["point_in_time", "ratable"] },
  },
  ["productCode", "erpItemCode"],
);

export const usageRecordSchema = canonical(
  "UsageRecord",
  1,
  "A validated usage record: the reference payload between ingestion and rating.",
  {
    tenantId: id,
    contractId: id,
    productCode: id,
    metric: id,
    quantity: decimalSchema,
    ratingPeriod,
    pricingRef: { type: "string" },
    erpAccount: { type: "string" },
    sourceEventRange: {
      type: "object",
      required: ["firstEventTime", "lastEventTime", "count"],
      properties: {
        firstEventTime: dateTime,
        lastEventTime: dateTime,
        count: { type: "integer", minimum: 1 },
        eventIds: { type: "array", items: { type: "string" } },
        digest: { type: "string" },
      },
    },
    audit,
  },
  ["tenantId", "contractId", "productCode", "metric", "quantity", "ratingPeriod"],
);

export const usageSummarySchema = canonical(
  "UsageSummary",
  1,
  "Aggregated usage for one key and window.",
  {
    tenantId: id,
    contractId: id,
    metric: id,
    windowStart: dateTime,
    windowEnd: dateTime,
    quantity: decimalSchema,
    eventCount: { type: "integer", minimum: 0 },
    final: { type: "boolean", description: "false while the window is open or within its grace period" },
    audit,
  },
  ["tenantId", "metric", "windowStart", "windowEnd", "quantity", "eventCount"],
);

export const invoiceCandidateSchema = canonical(
  "InvoiceCandidate",
  1,
  "A priced line ready for approval and posting.",
  {
    tenantId: id,
    contractId: id,
    erpAccount: id,
    productCode: id,
    ratingPeriod,
    quantity: decimalSchema,
    includedUnits: decimalSchema,
    billableQuantity: decimalSchema,
    unitPrice: moneySchema,
    total: moneySchema,
    pricingRuleVersion: { type: "string" },
    audit,
  },
  ["tenantId", "erpAccount", "productCode", "ratingPeriod", "billableQuantity", "total", "pricingRuleVersion"],
);

export const entitlementExceptionSchema = canonical(
  "EntitlementException",
  1,
  "Usage beyond an entitlement (e.g. licensed device count exceeded).",
  {
    tenantId: id,
    contractId: id,
    metric: id,
    entitled: decimalSchema,
    actual: decimalSchema,
    detectedAt: dateTime,
    action: { enum: ["notify", "crm_opportunity", "block"] },
    audit,
  },
  ["tenantId", "contractId", "metric", "entitled", "actual", "detectedAt"],
);

export const revenueScheduleEntrySchema = canonical(
  "RevenueScheduleEntry",
  1,
  "One entry of a revenue recognition schedule.",
  {
    invoiceRef: id,
    recognitionDate: { type: "string", format: "date" },
    amount: moneySchema,
    treatment: { enum: ["point_in_time", "ratable"] },
  },
  ["invoiceRef", "recognitionDate", "amount", "treatment"],
);
