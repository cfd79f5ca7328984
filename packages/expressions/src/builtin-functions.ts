import { decimalFunctions } from "./decimal-functions";
import { ExpressionError } from "./expression-error";
import { isSequence, sequence } from "./sequence";
import { codePoints, deepEqual, isSimpleString, toBoolean, toJsonataString } from "./value-semantics";

/** A function value at runtime: a compiled lambda, or a builtin passed around as `$name`. */
export interface FunctionValue {
  readonly arity: number;
  invoke(args: unknown[]): unknown;
}

export function isFunctionValue(value: unknown): value is FunctionValue {
  return typeof value === "object" && value !== null && typeof (value as FunctionValue).invoke === "function";
}

export interface CallContext {
  /** Milliseconds of the evaluation's clock, fixed for one evaluation ($now, $millis). */
  nowMillis(): number;
  /** Called inside loops so a runaway expression is stopped by the time budget. */
  tick(): void;
}

/** Builtins return raw sequences; the call site collapses them, as the reference's evaluate() does. */
export interface Builtin {
  minArgs: number;
  maxArgs: number;
  call(args: unknown[], context: CallContext): unknown;
}

function signatureError(name: string, index: number): ExpressionError {
  return new ExpressionError({ code: "T0410", token: name, index });
}

function str(name: string, args: unknown[], index: number): string | undefined {
  const value = args[index];
  if (value !== undefined && typeof value !== "string") throw signatureError(name, index + 1);
  return value;
}

function num(name: string, args: unknown[], index: number): number | undefined {
  const value = args[index];
  if (value !== undefined && !(typeof value === "number" && !Number.isNaN(value)))
    throw signatureError(name, index + 1);
  return value as number | undefined;
}

function fnArg(name: string, args: unknown[], index: number): FunctionValue {
  const value = args[index];
  if (!isFunctionValue(value)) throw signatureError(name, index + 1);
  return value;
}

/** `a<n>`-style parameters: a single value becomes a one-item array. */
function arrayArg(args: unknown[], index: number): unknown[] | undefined {
  const value = args[index];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

function numbersArg(name: string, args: unknown[], index: number): number[] | undefined {
  const values = arrayArg(args, index);
  if (values?.some((value) => !(typeof value === "number" && !Number.isNaN(value)))) {
    throw new ExpressionError({ code: "T0412", token: name, index: index + 1, type: "number" });
  }
  return values as number[] | undefined;
}

/** Passes a function as many of (value, index, array) as it declares. */
function callWith(fn: FunctionValue, value: unknown, index: number, array: unknown[]): unknown {
  const args: unknown[] = [value];
  if (fn.arity >= 2) args.push(index);
  if (fn.arity >= 3) args.push(array);
  return fn.invoke(args);
}

/** Round half to even at `precision` decimal places, without binary drift (shift by exponent). */
function roundHalfEven(value: number, precision = 0): number {
  const shift = (n: number, places: number) => {
    const [mantissa, exponent] = n.toString().split("e");
    return Number(`${mantissa}e${exponent ? Number(exponent) + places : places}`);
  };
  const scaled = precision ? shift(value, precision) : value;
  let rounded = Math.round(scaled);
  if (Math.abs(rounded - scaled) === 0.5 && Math.abs(rounded % 2) === 1) rounded -= 1;
  const result = precision ? shift(rounded, -precision) : rounded;
  return Object.is(result, -0) ? 0 : result;
}

const ISO_8601 = /^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$/;

export const builtins: Record<string, Builtin> = {
  string: { minArgs: 1, maxArgs: 2, call: (args) => toJsonataString(args[0], args[1] === true) },
  number: {
    minArgs: 1,
    maxArgs: 1,
    call: ([value]) => {
      if (value === undefined) return undefined;
      if (typeof value === "number") return value;
      if (typeof value === "boolean") return value ? 1 : 0;
      if (typeof value !== "string") throw signatureError("number", 1);
      if (
        typeof value === "string" &&
        /^-?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/.test(value) &&
        Number.isFinite(Number(value))
      )
        return Number(value);
      throw new ExpressionError({ code: "D3030", value });
    },
  },
  boolean: { minArgs: 1, maxArgs: 1, call: ([value]) => toBoolean(value) },
  not: { minArgs: 1, maxArgs: 1, call: ([value]) => (value === undefined ? undefined : !toBoolean(value)) },
  exists: { minArgs: 1, maxArgs: 1, call: ([value]) => value !== undefined },
  length: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const text = str("length", args, 0);
      if (text === undefined) return undefined;
      return isSimpleString(text) ? text.length : codePoints(text).length;
    },
  },
  substring: {
    minArgs: 2,
    maxArgs: 3,
    call: (args) => {
      const text = str("substring", args, 0);
      let start = num("substring", args, 1);
      const length = num("substring", args, 2);
      if (text === undefined) return undefined;
      if (start === undefined) throw signatureError("substring", 2);
      const chars = isSimpleString(text) ? text : codePoints(text);
      if (chars.length + start < 0) start = 0;
      if (length !== undefined) {
        if (length <= 0) return "";
        const end = start >= 0 ? start + length : chars.length + start + length;
        return typeof chars === "string" ? chars.slice(start, end) : chars.slice(start, end).join("");
      }
      return typeof chars === "string" ? chars.slice(start) : chars.slice(start).join("");
    },
  },
  substringBefore: {
    minArgs: 2,
    maxArgs: 2,
    call: (args) => {
      const text = str("substringBefore", args, 0);
      const chars = str("substringBefore", args, 1);
      if (text === undefined) return undefined;
      if (chars === undefined) throw signatureError("substringBefore", 2);
      const at = text.indexOf(chars);
      return at > -1 ? text.slice(0, at) : text;
    },
  },
  substringAfter: {
    minArgs: 2,
    maxArgs: 2,
    call: (args) => {
      const text = str("substringAfter", args, 0);
      const chars = str("substringAfter", args, 1);
      if (text === undefined) return undefined;
      if (chars === undefined) throw signatureError("substringAfter", 2);
      const at = text.indexOf(chars);
      return at > -1 ? text.slice(at + chars.length) : text;
    },
  },
  uppercase: { minArgs: 1, maxArgs: 1, call: (args) => str("uppercase", args, 0)?.toUpperCase() },
  lowercase: { minArgs: 1, maxArgs: 1, call: (args) => str("lowercase", args, 0)?.toLowerCase() },
  trim: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const text = str("trim", args, 0);
      if (text === undefined) return undefined;
      let result = text.replace(/[ \t\n\r]+/gm, " ");
      if (result.startsWith(" ")) result = result.slice(1);
      if (result.endsWith(" ")) result = result.slice(0, -1);
      return result;
    },
  },
  pad: {
    minArgs: 2,
    maxArgs: 3,
    call: (args) => {
      const text = str("pad", args, 0);
      const width = num("pad", args, 1);
      let fill = str("pad", args, 2);
      if (text === undefined) return undefined;
      if (width === undefined) throw signatureError("pad", 2);
      if (fill === undefined || fill.length === 0) fill = " ";
      const missing = Math.abs(width) - codePoints(text).length;
      if (missing <= 0) return text;
      let padding = new Array(missing + 1).join(fill);
      if (fill.length > 1) padding = codePoints(padding).slice(0, missing).join("");
      return width > 0 ? text + padding : padding + text;
    },
  },
  contains: {
    minArgs: 2,
    maxArgs: 2,
    call: (args) => {
      const text = str("contains", args, 0);
      const token = str("contains", args, 1);
      if (text === undefined) return undefined;
      if (token === undefined) throw signatureError("contains", 2);
      return text.includes(token);
    },
  },
  split: {
    minArgs: 2,
    maxArgs: 3,
    call: (args) => {
      const text = str("split", args, 0);
      const separator = str("split", args, 1);
      const limit = num("split", args, 2);
      if (text === undefined) return undefined;
      if (separator === undefined) throw signatureError("split", 2);
      if (limit !== undefined && limit < 0) throw new ExpressionError({ code: "D3020", value: limit });
      return limit === undefined ? text.split(separator) : text.split(separator, limit);
    },
  },
  join: {
    minArgs: 1,
    maxArgs: 2,
    call: (args) => {
      const items = arrayArg(args, 0);
      const separator = str("join", args, 1) ?? "";
      if (items === undefined) return undefined;
      if (items.some((item) => typeof item !== "string"))
        throw new ExpressionError({ code: "T0412", token: "join", index: 1, type: "string" });
      return items.join(separator);
    },
  },
  replace: {
    minArgs: 3,
    maxArgs: 4,
    call: (args) => {
      const text = str("replace", args, 0);
      const pattern = str("replace", args, 1);
      const replacement = str("replace", args, 2);
      const limit = num("replace", args, 3);
      if (text === undefined) return undefined;
      if (pattern === undefined || replacement === undefined)
        throw signatureError("replace", pattern === undefined ? 2 : 3);
      if (pattern === "") throw new ExpressionError({ code: "D3010", value: pattern });
      if (limit !== undefined && limit < 0) throw new ExpressionError({ code: "D3011", value: limit });
      let result = "";
      let from = 0;
      let count = 0;
      for (
        let at = text.indexOf(pattern);
        at !== -1 && (limit === undefined || count < limit);
        at = text.indexOf(pattern, from)
      ) {
        result += text.slice(from, at) + replacement;
        from = at + pattern.length;
        count += 1;
      }
      return result + text.slice(from);
    },
  },
  sum: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => numbersArg("sum", args, 0)?.reduce((total, value) => total + value, 0),
  },
  count: { minArgs: 1, maxArgs: 1, call: (args) => arrayArg(args, 0)?.length ?? 0 },
  max: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const values = numbersArg("max", args, 0);
      // A fold, not Math.max(...values): spreading fails past ~125,000 values.
      return values && values.length > 0 ? values.reduce((max, value) => (value > max ? value : max)) : undefined;
    },
  },
  min: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const values = numbersArg("min", args, 0);
      return values && values.length > 0 ? values.reduce((min, value) => (value < min ? value : min)) : undefined;
    },
  },
  average: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const values = numbersArg("average", args, 0);
      return values && values.length > 0
        ? values.reduce((total, value) => total + value, 0) / values.length
        : undefined;
    },
  },
  round: {
    minArgs: 1,
    maxArgs: 2,
    call: (args) => {
      const value = num("round", args, 0);
      const precision = num("round", args, 1);
      return value === undefined ? undefined : roundHalfEven(value, precision);
    },
  },
  floor: { minArgs: 1, maxArgs: 1, call: (args) => mapNumber(num("floor", args, 0), Math.floor) },
  ceil: { minArgs: 1, maxArgs: 1, call: (args) => mapNumber(num("ceil", args, 0), Math.ceil) },
  abs: { minArgs: 1, maxArgs: 1, call: (args) => mapNumber(num("abs", args, 0), Math.abs) },
  keys: {
    minArgs: 1,
    maxArgs: 1,
    call: ([value]) => {
      const result = sequence();
      const addKeys = (object: unknown): void => {
        if (Array.isArray(object)) return object.forEach(addKeys);
        if (object === null || typeof object !== "object") return;
        for (const key of Object.keys(object)) if (!result.includes(key)) result.push(key);
      };
      addKeys(value);
      return result;
    },
  },
  lookup: { minArgs: 2, maxArgs: 2, call: (args) => lookup(args[0], str("lookup", args, 1)!) },
  merge: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const objects = arrayArg(args, 0);
      if (objects === undefined) return undefined;
      const result: Record<string, unknown> = {};
      for (const object of objects) {
        if (object === null || typeof object !== "object" || Array.isArray(object))
          throw new ExpressionError({ code: "T0412", token: "merge", index: 1, type: "object" });
        for (const key of Object.keys(object)) defineMember(result, key, (object as Record<string, unknown>)[key]);
      }
      return result;
    },
  },
  append: {
    minArgs: 2,
    maxArgs: 2,
    call: ([first, second]) => {
      if (first === undefined) return second;
      if (second === undefined) return first;
      const head = Array.isArray(first) ? first : sequence(first);
      return head.concat(Array.isArray(second) ? second : [second]);
    },
  },
  distinct: {
    minArgs: 1,
    maxArgs: 1,
    call: ([values]) => {
      if (!Array.isArray(values) || values.length <= 1) return values;
      const result = isSequence(values) ? sequence() : [];
      for (const value of values) if (!result.some((seen) => deepEqual(seen, value))) result.push(value);
      return result;
    },
  },
  map: {
    minArgs: 2,
    maxArgs: 2,
    call: (args, context) => {
      const items = arrayArg(args, 0);
      const fn = fnArg("map", args, 1);
      if (items === undefined) return undefined;
      const result = sequence();
      items.forEach((item, index) => {
        context.tick();
        const mapped = callWith(fn, item, index, items);
        if (mapped !== undefined) result.push(mapped);
      });
      return result;
    },
  },
  filter: {
    minArgs: 2,
    maxArgs: 2,
    call: (args, context) => {
      const items = arrayArg(args, 0);
      const fn = fnArg("filter", args, 1);
      if (items === undefined) return undefined;
      const result = sequence();
      items.forEach((item, index) => {
        context.tick();
        if (toBoolean(callWith(fn, item, index, items))) result.push(item);
      });
      return result;
    },
  },
  reduce: {
    minArgs: 2,
    maxArgs: 3,
    call: (args, context) => {
      const items = arrayArg(args, 0);
      const fn = fnArg("reduce", args, 1);
      if (items === undefined) return undefined;
      if (fn.arity < 2) throw new ExpressionError({ code: "D3050" });
      let index = 0;
      let accumulator = args[2];
      if (accumulator === undefined && items.length > 0) {
        accumulator = items[0];
        index = 1;
      }
      for (; index < items.length; index += 1) {
        context.tick();
        const callArgs: unknown[] = [accumulator, items[index]];
        if (fn.arity >= 3) callArgs.push(index);
        if (fn.arity >= 4) callArgs.push(items);
        accumulator = fn.invoke(callArgs);
      }
      return accumulator;
    },
  },
  now: { minArgs: 0, maxArgs: 0, call: (_args, context) => new Date(context.nowMillis()).toISOString() },
  millis: { minArgs: 0, maxArgs: 0, call: (_args, context) => context.nowMillis() },
  toMillis: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const timestamp = str("toMillis", args, 0);
      if (timestamp === undefined) return undefined;
      if (!ISO_8601.test(timestamp)) throw new ExpressionError({ code: "D3110", value: timestamp });
      return Date.parse(timestamp);
    },
  },
  fromMillis: {
    minArgs: 1,
    maxArgs: 1,
    call: (args) => {
      const millis = num("fromMillis", args, 0);
      return millis === undefined ? undefined : new Date(millis).toISOString();
    },
  },
};

for (const [name, fn] of Object.entries(decimalFunctions)) {
  builtins[name] = { minArgs: fn.minArgs, maxArgs: fn.maxArgs, call: (args) => fn.call(...args) };
}

function mapNumber(value: number | undefined, fn: (n: number) => number): number | undefined {
  return value === undefined ? undefined : fn(value);
}

/** Defines a member even when the key is `__proto__`, as JSON.parse would. */
export function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Field lookup with JSONata semantics: arrays are mapped and flattened; only own members count. */
export function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = sequence();
    for (const item of input) {
      const found = lookup(item, key);
      if (found === undefined) continue;
      if (Array.isArray(found)) for (const value of found) result.push(value);
      else result.push(found);
    }
    return result;
  }
  if (input !== null && typeof input === "object" && !isFunctionValue(input) && Object.hasOwn(input, key))
    return (input as Record<string, unknown>)[key];
  return undefined;
}
