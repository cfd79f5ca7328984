/** Money is a decimal string with an explicit currency: never a binary float. */
export const decimalSchema = {
  type: "string",
  pattern: "^-?(0|[1-9]\\d*)(\\.\\d+)?$",
  description: 'Exact decimal number written as a string, e.g. "1234.50"',
} as const;

export const moneySchema = {
  type: "object",
  required: ["amount", "currency"],
  additionalProperties: false,
  properties: {
    amount: decimalSchema,
    currency: { type: "string", pattern: "^[A-Z]{3}$", description: "ISO 4217 code" },
  },
} as const;
