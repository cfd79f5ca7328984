import { z } from "zod";

/** A JSONata-compatible expression, kept as source text; the expressions package compiles it. */
export const expression = z
  .string()
  .trim()
  .min(1, "Expression is empty")
  .max(10_000, "Expression is longer than 10,000 characters")
  .describe("JSONata-compatible expression");

/** `name@version`, e.g. `UsageRecord@1` or `usage.api_call@2`. */
export const versionedRef = z
  .string()
  .regex(/^[A-Za-z][\w.-]*@\d+$/, 'Expected a versioned reference like "UsageRecord@1" (name@version)');

export const nodeId = z
  .string()
  .regex(/^[A-Za-z][\w-]{0,63}$/, "Node ids start with a letter and use letters, digits, - or _ (at most 64)");

export const portName = z.string().regex(/^[a-z][\w-]{0,39}$/, "Port names are lower-case identifiers");

export const decimalString = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/, 'Expected a decimal number as a string, e.g. "0.0125"');

export const currencyCode = z.string().regex(/^[A-Z]{3}$/, "Expected an ISO 4217 currency code, e.g. EUR");

export const duration = z.object({
  amount: z.number().int().positive(),
  unit: z.enum(["second", "minute", "hour", "day"]),
});
export type Duration = z.infer<typeof duration>;
