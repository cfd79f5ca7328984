import { ExpressionError } from "./expression-error";
import { isOuterWrapper } from "./sequence";

/** A finite number (Infinity is an error in JSONata, NaN is not a number). */
export function isNumeric(value: unknown): value is number {
  if (typeof value !== "number" || Number.isNaN(value)) return false;
  if (!Number.isFinite(value)) throw new ExpressionError({ code: "D1001", value });
  return true;
}

export function isArrayOfNumbers(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => isNumeric(item));
}

/** JSONata's effective boolean value; undefined stays undefined. */
export function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return toBoolean(value[0]);
    return value.length > 1 && value.some((item) => toBoolean(item));
  }
  if (typeof value === "string") return value.length > 0;
  if (isNumeric(value)) return value !== 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return value === true;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  return (
    aKeys.length === bKeys.length &&
    aKeys.every(
      (key) =>
        Object.hasOwn(b, key) && deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

/** JSONata's $string: strings unchanged, numbers to 15 significant digits, the rest as JSON. */
export function toJsonataString(value: unknown, prettify = false): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "function") return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ExpressionError({ code: "D3001", value });
    // Integers under 10^15 already have at most 15 significant digits.
    if (Number.isSafeInteger(value) && Math.abs(value) < 1e15) return String(value);
    return String(Number(value.toPrecision(15)));
  }
  if (typeof value === "boolean" || value === null) return String(value);
  const subject = isOuterWrapper(value) ? value[0] : value;
  return JSON.stringify(
    subject,
    (_key, member: unknown) => {
      if (typeof member === "number" && isNumeric(member)) return Number(member.toPrecision(15));
      if (typeof member === "function") return "";
      return member;
    },
    prettify ? 2 : 0,
  );
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
