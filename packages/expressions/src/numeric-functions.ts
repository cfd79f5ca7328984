import type { BuiltinDefinition } from "./builtin-functions";
import { ExpressionError } from "./expression-error";
import { formatNumber } from "./format-number";
import { formatInteger, parseInteger } from "./integer-pictures";

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;
// JSONata's pattern, alternation precedence included: "0x1g" matches its first branch.
const OTHER_BASES = /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/;

function toNumber(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    if (DECIMAL.test(value) && Number.isFinite(Number(value))) return Number.parseFloat(value);
    if (OTHER_BASES.test(value)) return Number(value);
  }
  if (value === true) return 1;
  if (value === false) return 0;
  throw new ExpressionError({ code: "D3030", value, index: 1 });
}

/** Moves the decimal point by `places` through the number's text, free of binary drift. */
function shiftDecimal(value: number, places: number): number {
  const [mantissa, exponent] = value.toString().split("e");
  return Number(`${mantissa}e${exponent ? Number(exponent) + places : places}`);
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, power) => 10 ** power);
/** Below this, a scaled value's fraction is exact to well within 0.001. */
const EXACT_SCALE_LIMIT = 2 ** 40;

/** Round half to even, at `precision` decimal places (negative: tens, hundreds...). */
export function roundHalfEven(value: number, precision?: number): number {
  if (precision !== undefined && precision > 0 && precision <= 22 && Number.isInteger(precision)) {
    // Binary scaling differs from the decimal shift below by a few ulps at most; away from a
    // half it rounds to the same integer, and dividing back by an exact power of ten rounds
    // correctly, as parsing the shifted text does.
    const power = POWERS_OF_TEN[precision]!;
    const scaled = value * power;
    if (Math.abs(scaled) < EXACT_SCALE_LIMIT) {
      const fraction = scaled - Math.floor(scaled);
      if (Math.abs(fraction - 0.5) > 0.001) {
        const result = Math.round(scaled) / power;
        return Object.is(result, -0) ? 0 : result;
      }
    }
  }
  return roundThroughText(value, precision);
}

function roundThroughText(value: number, precision?: number): number {
  const scaled = precision ? shiftDecimal(value, precision) : value;
  let result = Math.round(scaled);
  if (Math.abs(result - scaled) === 0.5 && Math.abs(result % 2) === 1) result -= 1;
  if (precision) result = shiftDecimal(result, -precision);
  return Object.is(result, -0) ? 0 : result;
}

function numeric(fn: (value: number) => number): BuiltinDefinition {
  return {
    signature: "<n-:n>",
    arity: 1,
    implementation: ([value]) => (value === undefined ? undefined : fn(value as number)),
  };
}

function extreme(pick: (a: number, b: number) => boolean): BuiltinDefinition {
  return {
    signature: "<a<n>:n>",
    arity: 1,
    implementation: ([values]) => {
      const numbers = values as number[] | undefined;
      if (numbers === undefined || numbers.length === 0) return undefined;
      // A fold, not Math.max(...numbers): spreading fails past ~125,000 values.
      let result = numbers[0]!;
      for (const value of numbers) {
        if (Number.isNaN(value)) return Number.NaN;
        if (pick(value, result)) result = value;
      }
      return result;
    },
  };
}

/** A picture argument JSONata's signature lets through undefined, where it has no default. */
function pictureOf(picture: unknown): string {
  if (picture === undefined) throw new ExpressionError({ code: "T0410", index: 2 });
  return picture as string;
}

export const numericFunctions: Record<string, BuiltinDefinition> = {
  number: { signature: "<(nsb)-:n>", arity: 1, implementation: ([value]) => toNumber(value) },
  abs: numeric(Math.abs),
  floor: numeric(Math.floor),
  ceil: numeric(Math.ceil),
  round: {
    signature: "<n-n?:n>",
    arity: 2,
    implementation: ([value, precision]) =>
      value === undefined ? undefined : roundHalfEven(value as number, precision as number | undefined),
  },
  sqrt: {
    signature: "<n-:n>",
    arity: 1,
    implementation: ([value]) => {
      if (value === undefined) return undefined;
      if ((value as number) < 0) throw new ExpressionError({ code: "D3060", value, index: 1 });
      return Math.sqrt(value as number);
    },
  },
  power: {
    signature: "<n-n:n>",
    arity: 2,
    implementation: ([base, exponent]) => {
      if (base === undefined) return undefined;
      const result = (base as number) ** (exponent as number);
      if (!Number.isFinite(result)) throw new ExpressionError({ code: "D3061", value: base, exp: exponent, index: 1 });
      return result;
    },
  },
  random: { signature: "<:n>", arity: 0, implementation: () => Math.random() },
  sum: {
    signature: "<a<n>:n>",
    arity: 1,
    implementation: ([values]) => {
      if (values === undefined) return undefined;
      let total = 0;
      for (const value of values as number[]) total += value;
      return total;
    },
  },
  max: extreme((value, current) => value > current),
  min: extreme((value, current) => value < current),
  average: {
    signature: "<a<n>:n>",
    arity: 1,
    implementation: ([values]) => {
      const numbers = values as number[] | undefined;
      if (numbers === undefined || numbers.length === 0) return undefined;
      let total = 0;
      for (const value of numbers) total += value;
      return total / numbers.length;
    },
  },
  formatBase: {
    signature: "<n-n?:s>",
    arity: 2,
    implementation: ([value, radix]) => {
      if (value === undefined) return undefined;
      const base = radix === undefined ? 10 : roundHalfEven(radix as number);
      if (base < 2 || base > 36) throw new ExpressionError({ code: "D3100", value: base });
      return roundHalfEven(value as number).toString(base);
    },
  },
  formatNumber: {
    signature: "<n-so?:s>",
    arity: 3,
    implementation: ([value, picture, options], runtime) =>
      value === undefined
        ? undefined
        : formatNumber(runtime, value as number, pictureOf(picture), options as Record<string, unknown> | undefined),
  },
  formatInteger: {
    signature: "<n-s:s>",
    arity: 2,
    implementation: ([value, picture], runtime) =>
      value === undefined ? undefined : formatInteger(runtime, value as number, pictureOf(picture)),
  },
  parseInteger: {
    signature: "<s-s:n>",
    arity: 2,
    implementation: ([value, picture]) =>
      value === undefined ? undefined : parseInteger(value as string, pictureOf(picture)),
  },
};
