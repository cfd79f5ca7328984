/** JSON Schemas of event types' `data`, versioned and referenced by Validate nodes as `name@version`. */
export const apiCallEventSchema = {
  $id: "https://meterflow.dev/schemas/events/usage.api_call/1",
  title: "usage.api_call@1",
  description: "Data of one billable API call event (type com.meterflow.api.call).",
  type: "object",
  required: ["tenantId", "productCode", "calls"],
  properties: {
    tenantId: { type: "string", minLength: 1 },
    productCode: { type: "string", minLength: 1 },
    calls: { type: "integer", minimum: 0 },
    region: { type: "string" },
    endpoint: { type: "string" },
  },
} as const;

export const storageEventSchema = {
  $id: "https://meterflow.dev/schemas/events/usage.storage/1",
  title: "usage.storage@1",
  description: "Storage consumed by a tenant at a point in time (gigabytes as a decimal string).",
  type: "object",
  required: ["tenantId", "gigabytes"],
  properties: {
    tenantId: { type: "string", minLength: 1 },
    gigabytes: { type: "string", pattern: "^\\d+(\\.\\d+)?$" },
    region: { type: "string" },
  },
} as const;

export const deviceEventSchema = {
  $id: "https://meterflow.dev/schemas/events/usage.device/1",
  title: "usage.device@1",
  description: "An endpoint scan or a device seen active.",
  type: "object",
  required: ["tenantId", "deviceId", "kind"],
  properties: {
    tenantId: { type: "string", minLength: 1 },
    deviceId: { type: "string", minLength: 1 },
    kind: { enum: ["scan", "active", "analytics"] },
  },
} as const;
