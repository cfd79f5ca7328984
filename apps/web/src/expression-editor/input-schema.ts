import { canonicalTypes, eventSchemas } from "@meterflow/canonical";
import type { FlowDocument } from "@meterflow/flow-spec";

type JsonSchema = Record<string, unknown>;

/** What reference-data lookups attach (the customer master, product catalog and contracts). */
const LOOKUP_SCHEMAS: Record<string, JsonSchema> = {
  account: object({
    tenantId: "string",
    name: "string",
    erpAccountId: "string",
    crmAccountId: "string",
    region: "string",
    currency: "string",
  }),
  product: object({ productCode: "string", erpItemCode: "string", name: "string", unit: "string" }),
  contract: object({
    contractId: "string",
    tenantId: "string",
    priceList: "string",
    region: "string",
    currency: "string",
    startsOn: "string",
    entitlements: "array",
  }),
  priceList: object({
    name: "string",
    version: "number",
    region: "string",
    currency: "string",
    includedUnits: "string",
    tiers: "array",
  }),
};

function object(fields: Record<string, string>): JsonSchema {
  return {
    type: "object",
    properties: Object.fromEntries(Object.entries(fields).map(([name, type]) => [name, { type }])),
  };
}

/**
 * The shape of the items entering a node, from what lies upstream: a Map's canonical type, the
 * CloudEvent with the data schema a Validate checks, plus what Enrich nodes attach. Used for
 * completion of source paths and for the expression type check. Unknown shapes stay open.
 */
export function inputSchemaFor(document: FlowDocument, nodeId: string): JsonSchema {
  // Items arriving from several nodes (an Exception collecting failures) have no single shape.
  if (new Set(document.edges.filter((edge) => edge.target.node === nodeId).map((edge) => edge.source.node)).size > 1)
    return {};
  const byId = new Map(document.nodes.map((node) => [node.id, node]));
  const attached: Record<string, JsonSchema> = {};
  let data: JsonSchema | undefined;
  const seen = new Set<string>();
  const queue = document.edges.filter((edge) => edge.target.node === nodeId).map((edge) => edge.source.node);
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const node = byId.get(id);
    if (!node) continue;
    if (node.type === "map") {
      // A Map replaces the item: what is upstream of it no longer shows.
      const target = canonicalTypes.get(node.config.target);
      return {
        ...(target ?? { type: "object" }),
        properties: {
          ...((target?.properties as JsonSchema | undefined) ?? {}),
          audit: object({
            flowVersionHash: "string",
            nodeId: "string",
            correlationId: "string",
            eventTime: "string",
            mappingRef: "string",
          }),
        },
      };
    }
    if (node.type === "rate") {
      // Rate adds its pricing to whatever it received.
      const rated = inputSchemaFor(document, node.id);
      const money = object({ amount: "string", currency: "string" });
      return {
        ...rated,
        properties: {
          ...((rated.properties as JsonSchema | undefined) ?? {}),
          quantity: { type: "string" },
          includedUnits: { type: "string" },
          billableQuantity: { type: "string" },
          unitPrice: money,
          total: money,
          pricingRuleVersion: { type: "string" },
        },
      };
    }
    if (node.type === "aggregate") {
      return object({
        ...Object.fromEntries(node.config.groupBy.map((group) => [group.name, "string"])),
        ...Object.fromEntries(node.config.measures.map((measure) => [measure.name, "string"])),
        windowStart: "string",
        windowEnd: "string",
        ratingPeriod: "string",
        eventCount: "number",
      });
    }
    if (node.type === "enrich")
      for (const lookup of node.config.lookups)
        attached[lookup.as] ??= LOOKUP_SCHEMAS[lookup.table] ?? { type: "object" };
    if (node.type === "validate") data ??= eventSchemas.get(node.config.schema);
    for (const edge of document.edges) if (edge.target.node === id) queue.push(edge.source.node);
  }
  return {
    type: "object",
    properties: {
      specversion: { type: "string" },
      id: { type: "string" },
      source: { type: "string" },
      type: { type: "string" },
      time: { type: "string" },
      subject: { type: "string" },
      data: data ?? { type: "object" },
      ...attached,
    },
  };
}

/** Every path into a schema's properties, e.g. "data.tenantId", with its JSON type. */
export function schemaPaths(schema: JsonSchema, prefix = "", depth = 0): { path: string; type: string }[] {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties || depth > 4) return [];
  return Object.entries(properties).flatMap(([name, property]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    const type = Array.isArray(property.type)
      ? property.type.join("|")
      : String(property.type ?? (property.properties ? "object" : "any"));
    return [{ path, type }, ...schemaPaths(property, path, depth + 1)];
  });
}
