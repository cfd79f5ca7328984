import { ExpressionError } from "./expression-error";
import { Procedure } from "./procedure";
import { isOuterWrapper } from "./sequence";

/** A number JSONata computes with: NaN is not one, and Infinity is an error (D1001). */
export function isNumeric(value: unknown): value is number {
  if (typeof value !== "number" || Number.isNaN(value)) return false;
  if (!Number.isFinite(value)) throw new ExpressionError({ code: "D1001", value });
  return true;
}

export function isArrayOfNumbers(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isNumeric(item)) return false;
  return true;
}

export function isArrayOfStrings(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== "string") return false;
  return true;
}

/** A function value, as JSONata's $type and $string see it. */
export function isFunctionValue(value: unknown): boolean {
  return value instanceof Procedure || typeof value === "function";
}

/** JSONata's effective boolean value; undefined stays undefined. */
export function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return toBoolean(value[0]);
    for (const item of value) if (toBoolean(item)) return true;
    return false;
  }
  switch (typeof value) {
    case "string":
      return value.length > 0;
    case "number":
      return isNumeric(value) && value !== 0;
    case "boolean":
      return value;
    case "object":
      if (value === null || value instanceof Procedure) return false;
      for (const _key in value) if (Object.hasOwn(value, _key)) return true;
      return false;
    default:
      return false;
  }
}

/** Equality of JSONata's `=`: deep, over arrays (order matters) and objects (keys in any order). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let index = 0; index < a.length; index += 1) if (!deepEqual(a[index], b[index])) return false;
    return true;
  }
  const aKeys = Object.getOwnPropertyNames(a).sort();
  const bKeys = Object.getOwnPropertyNames(b).sort();
  if (aKeys.length !== bKeys.length) return false;
  for (let index = 0; index < aKeys.length; index += 1) if (aKeys[index] !== bKeys[index]) return false;
  for (const key of aKeys)
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  return true;
}

/** A number as $string writes it: integers as they are, others to 15 significant digits. */
export function numberToString(value: number): string {
  if (!Number.isFinite(value)) throw new ExpressionError({ code: "D3001", value });
  if (Number.isInteger(value)) return JSON.stringify(value);
  return JSON.stringify(Number(value.toPrecision(15)));
}

function jsonReplacer(_key: string, member: unknown): unknown {
  if (typeof member === "number") {
    if (!isNumeric(member)) return member;
    return Number.isInteger(member) ? member : Number(member.toPrecision(15));
  }
  if (member instanceof Procedure || typeof member === "function") return "";
  return member;
}

/** JSONata's $string: strings unchanged, functions empty, the rest as JSON with 15-digit numbers. */
export function toJsonataString(value: unknown, prettify = false): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number") return numberToString(value);
  if (value instanceof Procedure || typeof value === "function") return "";
  if (typeof value === "boolean" || value === null) return String(value);
  const subject = isOuterWrapper(value) ? value[0] : value;
  return JSON.stringify(subject, jsonReplacer, prettify ? 2 : 0);
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Splits by code points, as JSONata's string functions count characters. */
export function codePoints(text: string): string[] {
  return Array.from(text);
}

/** True when UTF-16 units and code points coincide, so plain string indexing is exact. */
export function isSimpleString(text: string): boolean {
  return !SURROGATE.test(text);
}

/** Length in code points. */
export function codePointLength(text: string): number {
  return isSimpleString(text) ? text.length : codePoints(text).length;
}
