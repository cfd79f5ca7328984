import {
  accountSchema,
  contractSchema,
  entitlementExceptionSchema,
  invoiceCandidateSchema,
  productSchema,
  revenueScheduleEntrySchema,
  subscriptionSchema,
  usageRecordSchema,
  usageSummarySchema,
} from "./canonical-objects";
import { cloudEventSchema } from "./cloud-event";
import { apiCallEventSchema, deviceEventSchema, storageEventSchema } from "./event-schemas";

export type JsonSchema = Record<string, unknown> & { $id: string; title: string };

const byTitle = (schemas: JsonSchema[]) => new Map(schemas.map((schema) => [schema.title, schema]));

/** Canonical object types by `Name@version`. */
export const canonicalTypes: ReadonlyMap<string, JsonSchema> = byTitle([
  accountSchema,
  subscriptionSchema,
  contractSchema,
  productSchema,
  usageRecordSchema,
  usageSummarySchema,
  invoiceCandidateSchema,
  entitlementExceptionSchema,
  revenueScheduleEntrySchema,
]);

/** Event data schemas by `type@version`. */
export const eventSchemas: ReadonlyMap<string, JsonSchema> = byTitle([
  apiCallEventSchema,
  storageEventSchema,
  deviceEventSchema,
]);

export const envelopeSchemas: ReadonlyMap<string, JsonSchema> = byTitle([
  { ...cloudEventSchema, title: "CloudEvent@1" },
]);

export function eventSchema(ref: string): JsonSchema | undefined {
  return eventSchemas.get(ref);
}
