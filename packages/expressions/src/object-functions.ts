import { append, callWithItem } from "./array-functions";
import type { BuiltinDefinition } from "./builtin-functions";
import type { Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { Procedure } from "./procedure";
import { sequence } from "./sequence";
import { isFunctionValue, isNumeric, toBoolean, toJsonataString } from "./value-semantics";

/** Sets a member even when the key is `__proto__`, as JSON.parse would. */
export function defineMember(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Procedure);
}

/** Field lookup with JSONata semantics: arrays are mapped and flattened; only own members count. */
export function lookupField(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = sequence();
    for (const item of input) {
      const found = lookupField(item, key);
      if (found === undefined) continue;
      if (Array.isArray(found)) for (const value of found) result.push(value);
      else result.push(found);
    }
    return result;
  }
  if (input !== null && typeof input === "object" && !(input instanceof Procedure) && Object.hasOwn(input, key))
    return (input as Record<string, unknown>)[key];
  return undefined;
}

function keysOf(value: unknown): unknown[] {
  const result = sequence();
  if (Array.isArray(value)) {
    const merged: Record<string, true> = Object.create(null);
    for (const item of value) for (const key of keysOf(item) as string[]) merged[key] = true;
    for (const key of Object.keys(merged)) result.push(key);
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) result.push(key);
  }
  return result;
}

/** `$spread`: an object as one single-key object per key; arrays spread item by item. */
function spread(value: unknown, runtime: Runtime): unknown {
  if (Array.isArray(value)) {
    let result: unknown = sequence();
    for (const item of value) result = append(result, spread(item, runtime), runtime);
    return result;
  }
  if (!isPlainObject(value)) return value;
  const result = sequence();
  for (const key of Object.keys(value)) {
    const single: Record<string, unknown> = {};
    defineMember(single, key, value[key]);
    result.push(single);
  }
  return result;
}

function typeOf(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return "null";
  if (isNumeric(value)) return "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (Array.isArray(value)) return "array";
  if (isFunctionValue(value)) return "function";
  return "object";
}

export const objectFunctions: Record<string, BuiltinDefinition> = {
  keys: { signature: "<x-:a<s>>", arity: 1, implementation: ([value]) => keysOf(value) },
  lookup: { signature: "<x-s:x>", arity: 2, implementation: ([value, key]) => lookupField(value, key as string) },
  spread: { signature: "<x-:a<o>>", arity: 1, implementation: ([value], runtime) => spread(value, runtime) },
  merge: {
    signature: "<a<o>:o>",
    arity: 1,
    implementation: ([objects]) => {
      if (objects === undefined) return undefined;
      const result: Record<string, unknown> = {};
      for (const object of objects as Record<string, unknown>[])
        for (const key of Object.keys(object)) defineMember(result, key, object[key]);
      return result;
    },
  },
  each: {
    signature: "<o-f:a>",
    arity: 2,
    implementation: ([object, fn], runtime, _input, frame) => {
      const result = sequence();
      if (!isPlainObject(object)) return result;
      const callDepth = runtime.callDepth;
      for (const key of Object.keys(object)) {
        runtime.callDepth = callDepth;
        const value = callWithItem(fn as Procedure, object[key], key, object, runtime, frame);
        if (value !== undefined) result.push(value);
      }
      return result;
    },
  },
  sift: {
    signature: "<o-f?:o>",
    arity: 2,
    implementation: ([object, fn], runtime, _input, frame) => {
      if (!isPlainObject(object)) return undefined;
      if (fn === undefined) throw new ExpressionError({ code: "T0410", index: 2 });
      const result: Record<string, unknown> = {};
      let kept = 0;
      const callDepth = runtime.callDepth;
      for (const key of Object.keys(object)) {
        runtime.callDepth = callDepth;
        if (toBoolean(callWithItem(fn as Procedure, object[key], key, object, runtime, frame))) {
          defineMember(result, key, object[key]);
          kept += 1;
        }
      }
      return kept === 0 ? undefined : result;
    },
  },
  type: { signature: "<x:s>", arity: 1, implementation: ([value]) => typeOf(value) },
  clone: {
    signature: "<(oa)-:o>",
    arity: 1,
    implementation: ([value], runtime) => {
      if (value === undefined) return undefined;
      return JSON.parse(runtime.checkString(toJsonataString(value)!));
    },
  },
  exists: { signature: "<x:b>", arity: 1, implementation: ([value]) => value !== undefined },
  boolean: { signature: "<x-:b>", arity: 1, implementation: ([value]) => toBoolean(value) },
  not: {
    signature: "<x-:b>",
    arity: 1,
    implementation: ([value]) => (value === undefined ? undefined : !toBoolean(value)),
  },
  error: {
    signature: "<s?:x>",
    arity: 1,
    implementation: ([message]) => {
      throw new ExpressionError({ code: "D3137", message: (message as string) || "$error() function evaluated" });
    },
  },
  assert: {
    signature: "<bs?:x>",
    arity: 2,
    implementation: ([condition, message]) => {
      if (!condition)
        throw new ExpressionError({ code: "D3141", message: (message as string) || "$assert() statement failed" });
      return undefined;
    },
  },
};
