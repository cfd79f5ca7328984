/** CloudEvents 1.0 structured-mode envelope (JSON format). */
export const cloudEventSchema = {
  $id: "https://meterflow.dev/schemas/CloudEvent/1",
  title: "CloudEvent",
  type: "object",
  required: ["specversion", "id", "source", "type"],
  properties: {
    specversion: { const: "1.0" },
    id: { type: "string", minLength: 1 },
    source: { type: "string", minLength: 1, format: "uri-reference" },
    type: { type: "string", minLength: 1 },
    subject: { type: "string" },
    time: { type: "string", format: "date-time" },
    datacontenttype: { type: "string" },
    dataschema: { type: "string", format: "uri" },
    data: {},
    data_base64: { type: "string", contentEncoding: "base64" },
    traceparent: { type: "string", pattern: "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
  },
  not: { required: ["data", "data_base64"] },
  // Extension attributes: lowercase letters and digits, with scalar values (CloudEvents 1.0).
  propertyNames: { pattern: "^([a-z0-9]+|data_base64)$" },
  additionalProperties: { anyOf: [{ type: "string" }, { type: "number" }, { type: "boolean" }, { type: "null" }] },
} as const;
