import Decimal from "decimal.js";
import type { BuiltinDefinition } from "./builtin-functions";
import { ExpressionError } from "./expression-error";

/** Exact decimal arithmetic for money: 40 significant digits, banker's rounding by default. */
const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
const DECIMAL = /^-?\d+(\.\d+)?$/;

const roundingModes = {
  "half-even": Decimal.ROUND_HALF_EVEN,
  "half-up": Decimal.ROUND_HALF_UP,
  down: Decimal.ROUND_DOWN,
  up: Decimal.ROUND_UP,
} as const;

function toDecimal(name: string, value: unknown, index: number): Decimal {
  if (typeof value === "number" && Number.isFinite(value)) return new Money(String(value));
  if (typeof value === "string" && DECIMAL.test(value)) return new Money(value);
  throw new ExpressionError(
    { code: "M0001" },
    `Argument ${index} of $${name} must be a decimal number or decimal string, got ${JSON.stringify(value)}`,
  );
}

function scaleOf(name: string, value: unknown, index: number): number {
  if (value === undefined) return 2;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 20) return value;
  throw new ExpressionError(
    { code: "M0002" },
    `Argument ${index} of $${name} must be a scale from 0 to 20, got ${JSON.stringify(value)}`,
  );
}

const binary = (name: string, operate: (a: Decimal, b: Decimal) => Decimal): BuiltinDefinition => ({
  signature: "<jj:s>",
  arity: 2,
  implementation: ([a, b]) =>
    a === undefined || b === undefined ? undefined : operate(toDecimal(name, a, 1), toDecimal(name, b, 2)).toFixed(),
});

/**
 * `$decimalAdd`, `$decimalSub`, `$decimalMul`, `$decimalDiv`, `$decimalRound`, `$decimalCompare`:
 * money never goes through binary floating point. Results are decimal strings; Rate nodes use
 * these for amounts (`$decimalRound($decimalMul(quantity, unitPrice), 2)`).
 */
export const decimalFunctions: Record<string, BuiltinDefinition> = {
  decimalAdd: binary("decimalAdd", (a, b) => a.plus(b)),
  decimalSub: binary("decimalSub", (a, b) => a.minus(b)),
  decimalMul: binary("decimalMul", (a, b) => a.times(b)),
  decimalDiv: binary("decimalDiv", (a, b) => {
    if (b.isZero()) throw new ExpressionError({ code: "M0003" }, "$decimalDiv: division by zero");
    return a.dividedBy(b);
  }),
  decimalRound: {
    signature: "<jj?j?:s>",
    arity: 3,
    implementation: ([value, scale, mode]) => {
      if (value === undefined) return undefined;
      const places = scaleOf("decimalRound", scale, 2);
      const rounding =
        mode === undefined ? roundingModes["half-even"] : roundingModes[mode as keyof typeof roundingModes];
      if (rounding === undefined) {
        throw new ExpressionError(
          { code: "M0004" },
          `Argument 3 of $decimalRound must be one of ${Object.keys(roundingModes).join(", ")}, got ${JSON.stringify(mode)}`,
        );
      }
      return toDecimal("decimalRound", value, 1).toDecimalPlaces(places, rounding).toFixed(places);
    },
  },
  decimalCompare: {
    signature: "<jj:n>",
    arity: 2,
    implementation: ([a, b]) =>
      a === undefined || b === undefined
        ? undefined
        : toDecimal("decimalCompare", a, 1).comparedTo(toDecimal("decimalCompare", b, 2)),
  },
};
