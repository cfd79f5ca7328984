import { z } from "zod";
import { currencyCode, decimalString, duration, expression, portName, versionedRef } from "./field-schemas";

/** What travels over a port; a connection is allowed when the target port accepts the source's kind. */
export const portKinds = ["event", "record", "summary", "rated", "posting", "duplicate", "exception"] as const;
export type PortKind = (typeof portKinds)[number];

export interface OutputPort {
  name: string;
  carries: PortKind;
  description: string;
}
export interface InputPort {
  name: string;
  accepts: readonly PortKind[];
  description: string;
}

export const nodeTypes = [
  "source.events",
  "validate",
  "dedupe",
  "enrich",
  "map",
  "route",
  "mask",
  "aggregate",
  "rate",
  "approval",
  "post",
  "notify",
  "exception",
] as const;
export type NodeType = (typeof nodeTypes)[number];

export const exceptionKinds = [
  "invalid_event",
  "unmatched_account",
  "pricing_gap",
  "late_event",
  "erp_failure",
  "approval_rejected",
  "routing",
] as const;

export type ExceptionKind = (typeof exceptionKinds)[number];

const referenceTables = ["account", "product", "contract", "priceList"] as const;

const enrichLookup = z.object({
  as: z.string().regex(/^[A-Za-z_]\w*$/, "The lookup's result name must be an identifier"),
  table: z.enum(referenceTables),
  key: expression,
  onMiss: z.enum(["unmatched_account", "pricing_gap"]).default("unmatched_account"),
});

const fieldMapping = z.object({
  target: z.string().min(1, "Target field is empty"),
  expression,
});

const routeCase = z.object({ output: portName, condition: expression });

const measure = z.object({
  name: z.string().regex(/^[A-Za-z_]\w*$/, "Measure names are identifiers"),
  op: z.enum(["sum", "count", "max", "min", "distinctCount", "latest"]),
  expression: expression.optional(),
});

const tier = z.object({ upTo: decimalString.nullable(), unitPrice: decimalString });

const postingBatch = z.object({ maxLines: z.number().int().min(1).max(1000).default(100) });
const retryPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(50).default(8),
  initialDelayMs: z.number().int().min(10).default(500),
});

/** Where an expression sits in a node's config, for checks that compile them (the API, the editor). */
export interface ExpressionField {
  path: (string | number)[];
  source: string;
}

const at = (path: (string | number)[], source: string | undefined): ExpressionField[] =>
  source === undefined ? [] : [{ path, source }];

/** Per node type: its typed config, its ports, and a config a new node starts with. */
const nodeTypeSpecs = {
  "source.events": {
    label: "Source: Events",
    category: "source",
    description: "Binds the flow to event types and sources arriving at ingestion.",
    config: z.object({
      eventTypes: z.array(z.string().min(1)).min(1, "List at least one event type"),
      sources: z.array(z.string().min(1)).default([]),
      transport: z.enum(["http", "nats"]).default("http"),
    }),
    inputs: () => [],
    outputs: () => [{ name: "out", carries: "event", description: "Every accepted event" }],
    defaultConfig: () => ({ eventTypes: ["com.example.usage"], sources: [], transport: "http" }),
    expressions: () => [],
  },
  validate: {
    label: "Validate",
    category: "quality",
    description: "Checks events against a versioned JSON Schema; invalid events become exceptions.",
    config: z.object({ schema: versionedRef }),
    inputs: () => [{ name: "in", accepts: ["event"], description: "Events to check" }],
    outputs: () => [
      { name: "valid", carries: "event", description: "Events that match the schema" },
      { name: "invalid", carries: "exception", description: "invalid_event exceptions with the schema error path" },
    ],
    defaultConfig: () => ({ schema: "usage.api_call@1" }),
    expressions: () => [],
  },
  dedupe: {
    label: "Dedupe",
    category: "quality",
    description: "Drops repeats by a key within a window and records them as duplicates.",
    config: z.object({ key: expression, window: duration }),
    inputs: () => [{ name: "in", accepts: ["event", "record"], description: "Items to deduplicate" }],
    outputs: () => [
      { name: "unique", carries: "event", description: "First sighting of each key" },
      { name: "duplicate", carries: "duplicate", description: "Repeats, recorded as duplicates" },
    ],
    defaultConfig: () => ({ key: 'source & "/" & id', window: { amount: 7, unit: "day" } }),
    expressions: (config: { key: string }) => at(["key"], config.key),
  },
  enrich: {
    label: "Enrich",
    category: "transform",
    description: "Looks up reference data by key; a miss routes to an exception.",
    config: z.object({ lookups: z.array(enrichLookup).min(1, "Add at least one lookup") }),
    inputs: () => [{ name: "in", accepts: ["event", "record"], description: "Items to enrich" }],
    outputs: () => [
      { name: "out", carries: "event", description: "Items with their lookups attached" },
      { name: "miss", carries: "exception", description: "unmatched_account / pricing_gap exceptions" },
    ],
    defaultConfig: () => ({
      lookups: [{ as: "account", table: "account", key: "data.tenantId", onMiss: "unmatched_account" }],
    }),
    expressions: (config: { lookups: { key: string }[] }) =>
      config.lookups.flatMap((lookup, i) => at(["lookups", i, "key"], lookup.key)),
  },
  map: {
    label: "Map",
    category: "transform",
    description: "Builds a canonical object from the input with field mappings.",
    config: z.object({
      target: versionedRef,
      fields: z.array(fieldMapping).min(1, "Map at least one target field"),
    }),
    inputs: () => [{ name: "in", accepts: ["event", "record", "summary", "rated"], description: "Items to map" }],
    outputs: () => [{ name: "out", carries: "record", description: "Canonical objects of the target type" }],
    defaultConfig: () => ({ target: "UsageRecord@1", fields: [{ target: "tenantId", expression: "data.tenantId" }] }),
    expressions: (config: { fields: { expression: string }[] }) =>
      config.fields.flatMap((field, i) => at(["fields", i, "expression"], field.expression)),
  },
  route: {
    label: "Route / Filter",
    category: "routing",
    description: "Switches items to named outputs by conditions; the rest go to the default output.",
    config: z.object({
      cases: z.array(routeCase).min(1, "Add at least one route"),
      defaultOutput: portName.default("default"),
      firstMatchOnly: z.boolean().default(true),
    }),
    inputs: () => [{ name: "in", accepts: ["event", "record", "summary", "rated"], description: "Items to route" }],
    outputs: (config: { cases: { output: string }[]; defaultOutput: string }) => {
      const names = [...new Set([...config.cases.map((c) => c.output), config.defaultOutput])];
      return names.map((name) => ({ name, carries: "record", description: `Items routed to "${name}"` }));
    },
    defaultConfig: () => ({
      cases: [{ output: "matched", condition: "true" }],
      defaultOutput: "default",
      firstMatchOnly: true,
    }),
    expressions: (config: { cases: { condition: string }[] }) =>
      config.cases.flatMap((entry, i) => at(["cases", i, "condition"], entry.condition)),
  },
  mask: {
    label: "Mask",
    category: "transform",
    description: "Hashes, redacts or drops fields (PII) before data leaves a region or reaches a system.",
    config: z.object({
      fields: z
        .array(z.object({ path: z.string().min(1), action: z.enum(["hash", "redact", "drop"]) }))
        .min(1, "List at least one field to mask"),
      region: z.string().optional(),
    }),
    inputs: () => [{ name: "in", accepts: ["event", "record"], description: "Items to mask" }],
    outputs: () => [{ name: "out", carries: "record", description: "Masked items" }],
    defaultConfig: () => ({ fields: [{ path: "data.userEmail", action: "hash" }] }),
    expressions: () => [],
  },
  aggregate: {
    label: "Aggregate",
    category: "aggregate",
    description: "Event-time tumbling windows keyed by expressions, tolerant of out-of-order and late events.",
    config: z.object({
      groupBy: z
        .array(z.object({ name: z.string().regex(/^[A-Za-z_]\w*$/), expression }))
        .min(1, "Group by at least one key"),
      eventTime: expression.default("time"),
      period: z.enum(["hour", "day", "month"]),
      measures: z.array(measure).min(1, "Add at least one measure"),
      grace: duration,
      lateEvents: z.enum(["exception", "adjustment"]).default("exception"),
    }),
    inputs: () => [{ name: "in", accepts: ["event", "record"], description: "Items to aggregate" }],
    outputs: () => [
      { name: "out", carries: "summary", description: "Window summaries (UsageSummary)" },
      { name: "late", carries: "exception", description: "late_event exceptions" },
    ],
    defaultConfig: () => ({
      groupBy: [{ name: "tenantId", expression: "tenantId" }],
      eventTime: "time",
      period: "day",
      measures: [{ name: "quantity", op: "sum", expression: "quantity" }],
      grace: { amount: 1, unit: "hour" },
      lateEvents: "exception",
    }),
    expressions: (config: {
      groupBy: { expression: string }[];
      eventTime: string;
      measures: { expression?: string }[];
    }) => [
      ...config.groupBy.flatMap((group, i) => at(["groupBy", i, "expression"], group.expression)),
      ...at(["eventTime"], config.eventTime),
      ...config.measures.flatMap((measure, i) => at(["measures", i, "expression"], measure.expression)),
    ],
  },
  rate: {
    label: "Rate",
    category: "pricing",
    description:
      "Applies pricing: included units, tiers, overage unit price, regional price list effective at event time.",
    config: z.object({
      priceList: z.string().min(1, "Name the price list"),
      region: expression.optional(),
      quantity: expression,
      includedUnits: expression.optional(),
      tiers: z.array(tier).default([]),
      currency: currencyCode,
      scale: z.number().int().min(0).max(6).default(2),
      rounding: z.enum(["half-even", "half-up"]).default("half-even"),
    }),
    inputs: () => [{ name: "in", accepts: ["summary", "record"], description: "Quantities to price" }],
    outputs: () => [
      { name: "out", carries: "rated", description: "Priced items (InvoiceCandidate)" },
      { name: "gap", carries: "exception", description: "pricing_gap exceptions" },
    ],
    defaultConfig: () => ({
      priceList: "standard",
      quantity: "quantity",
      tiers: [],
      currency: "EUR",
      scale: 2,
      rounding: "half-even",
    }),
    expressions: (config: { region?: string; quantity: string; includedUnits?: string }) => [
      ...at(["region"], config.region),
      ...at(["quantity"], config.quantity),
      ...at(["includedUnits"], config.includedUnits),
    ],
  },
  approval: {
    label: "Approval gate",
    category: "governance",
    description: "Holds items matching the threshold for human review; approve/reject is recorded.",
    config: z.object({
      holdWhen: expression,
      approverRole: z.enum(["finance", "reviewer", "admin"]).default("finance"),
    }),
    inputs: () => [{ name: "in", accepts: ["rated", "record", "summary"], description: "Items to gate" }],
    outputs: () => [
      { name: "approved", carries: "rated", description: "Items below the threshold or approved" },
      { name: "rejected", carries: "exception", description: "approval_rejected exceptions" },
    ],
    defaultConfig: () => ({ holdWhen: "amount.value > 1000", approverRole: "finance" }),
    expressions: (config: { holdWhen: string }) => at(["holdWhen"], config.holdWhen),
  },
  post: {
    label: "Post",
    category: "delivery",
    description: "Calls an endpoint operation with an idempotency key, batching, retries and circuit breaking.",
    config: z.object({
      endpoint: versionedRef,
      operation: z.string().min(1, "Name the endpoint operation"),
      request: expression,
      idempotencyKey: expression.optional(),
      batch: postingBatch.default({ maxLines: 100 }),
      retry: retryPolicy.default({ maxAttempts: 8, initialDelayMs: 500 }),
    }),
    inputs: () => [{ name: "in", accepts: ["rated", "record", "summary"], description: "Items to post" }],
    outputs: () => [
      { name: "posted", carries: "posting", description: "Postings with the ERP document id" },
      { name: "failed", carries: "exception", description: "erp_failure exceptions" },
    ],
    defaultConfig: () => ({
      endpoint: "erp-sandbox@1",
      operation: "createInvoice",
      request: "$",
      batch: { maxLines: 100 },
      retry: { maxAttempts: 8, initialDelayMs: 500 },
    }),
    expressions: (config: { request: string; idempotencyKey?: string }) => [
      ...at(["request"], config.request),
      ...at(["idempotencyKey"], config.idempotencyKey),
    ],
  },
  notify: {
    label: "Notify",
    category: "delivery",
    description: "Webhook / CRM actions with the same delivery guarantees as Post.",
    config: z.object({
      endpoint: versionedRef,
      operation: z.string().min(1, "Name the endpoint operation"),
      request: expression,
      idempotencyKey: expression.optional(),
    }),
    inputs: () => [
      { name: "in", accepts: ["event", "record", "summary", "rated"], description: "Items to notify about" },
    ],
    outputs: () => [
      { name: "sent", carries: "posting", description: "Delivered notifications" },
      { name: "failed", carries: "exception", description: "Delivery failures" },
    ],
    defaultConfig: () => ({ endpoint: "webhook@1", operation: "send", request: "$" }),
    expressions: (config: { request: string; idempotencyKey?: string }) => [
      ...at(["request"], config.request),
      ...at(["idempotencyKey"], config.idempotencyKey),
    ],
  },
  exception: {
    label: "Exception",
    category: "governance",
    description: "Routes items to the exception queue with a kind and reason.",
    config: z.object({ kind: z.enum(exceptionKinds), reason: expression }),
    inputs: () => [{ name: "in", accepts: [...portKinds], description: "Items to turn into exceptions" }],
    outputs: () => [],
    defaultConfig: () => ({ kind: "routing", reason: '"Routed to exceptions"' }),
    expressions: (config: { reason: string }) => at(["reason"], config.reason),
  },
} satisfies Record<NodeType, NodeTypeSpecShape>;

interface NodeTypeSpecShape {
  label: string;
  category: string;
  description: string;
  config: z.ZodObject;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- narrowed per entry by `NodeConfig<T>` below
  inputs: (config: any) => InputPort[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  outputs: (config: any) => OutputPort[];
  defaultConfig: () => Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  expressions: (config: any) => ExpressionField[];
}

export type NodeConfig<T extends NodeType> = z.infer<(typeof nodeTypeSpecs)[T]["config"]>;

export interface NodeTypeSpec<T extends NodeType = NodeType> {
  type: T;
  label: string;
  category: string;
  description: string;
  config: (typeof nodeTypeSpecs)[T]["config"];
  inputs: (config: NodeConfig<T>) => InputPort[];
  outputs: (config: NodeConfig<T>) => OutputPort[];
  defaultConfig: () => NodeConfig<T>;
  expressions: (config: NodeConfig<T>) => ExpressionField[];
}

export function isNodeType(value: unknown): value is NodeType {
  return typeof value === "string" && (nodeTypes as readonly string[]).includes(value);
}

export function nodeTypeSpec<T extends NodeType>(type: T): NodeTypeSpec<T> {
  const spec = nodeTypeSpecs[type];
  return { type, ...spec } as unknown as NodeTypeSpec<T>;
}
