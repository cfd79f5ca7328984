import type { BuiltinDefinition } from "./builtin-functions";
import type { Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { arityOf, invokeProcedure, type Procedure } from "./procedure";
import { isSequence, sequence } from "./sequence";
import { deepEqual, isArrayOfNumbers, isArrayOfStrings, toBoolean } from "./value-semantics";

type Callable = Procedure | ((...args: unknown[]) => unknown);

/** Calls a function given to $map, $filter... with as many of (value, index, array) as it declares. */
export function callWithItem(
  fn: Callable,
  value: unknown,
  index: unknown,
  array: unknown,
  runtime: Runtime,
  frame: Frame,
): unknown {
  const arity = arityOf(fn);
  const args = arity >= 3 ? [value, index, array] : arity >= 2 ? [value, index] : [value];
  return invokeProcedure(fn, args, runtime, null, frame);
}

/**
 * JSONata's stable merge sort: `swap(a, b)` says b goes first. The same comparisons, in the same
 * order, as the reference, so comparison errors (T2007, T2008) arise on the same inputs.
 */
export function mergeSort<T>(items: readonly T[], swap: (a: T, b: T) => boolean, runtime: Runtime): T[] {
  if (items.length <= 1) return items.slice();
  const middle = Math.floor(items.length / 2);
  const left = mergeSort(items.slice(0, middle), swap, runtime);
  const right = mergeSort(items.slice(middle), swap, runtime);
  const merged: T[] = [];
  let l = 0;
  let r = 0;
  while (l < left.length && r < right.length) {
    runtime.tick();
    if (swap(left[l]!, right[r]!)) merged.push(right[r++]!);
    else merged.push(left[l++]!);
  }
  while (l < left.length) merged.push(left[l++]!);
  while (r < right.length) merged.push(right[r++]!);
  return merged;
}

/**
 * `$append`: values or arrays joined into one. The result is a plain array even when the first
 * was a sequence (JSONata's concat drops the flag), so it is not collapsed afterwards.
 */
export function append(first: unknown, second: unknown, runtime: Runtime): unknown {
  if (first === undefined) return second;
  if (second === undefined) return first;
  const head = Array.isArray(first) ? first : [first];
  const tail = Array.isArray(second) ? second : [second];
  runtime.checkArrayLength(head.length + tail.length);
  return head.concat(tail);
}

export const arrayFunctions: Record<string, BuiltinDefinition> = {
  count: {
    signature: "<a:n>",
    arity: 1,
    implementation: ([values]) => (values === undefined ? 0 : (values as unknown[]).length),
  },
  append: {
    signature: "<xx:a>",
    arity: 2,
    implementation: ([first, second], runtime) => append(first, second, runtime),
  },
  reverse: {
    signature: "<a:a>",
    arity: 1,
    implementation: ([values]) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      return items.length <= 1 ? items : items.slice().reverse();
    },
  },
  shuffle: {
    signature: "<a:a>",
    arity: 1,
    implementation: ([values]) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      if (items.length <= 1) return items;
      // Fisher-Yates, inside-out.
      const result = new Array<unknown>(items.length);
      for (let index = 0; index < items.length; index += 1) {
        const other = Math.floor(Math.random() * (index + 1));
        if (index !== other) result[index] = result[other];
        result[other] = items[index];
      }
      return result;
    },
  },
  distinct: {
    signature: "<x:x>",
    arity: 1,
    implementation: ([values], runtime) => {
      if (!Array.isArray(values) || values.length <= 1) return values;
      const result = isSequence(values) ? sequence() : [];
      for (const value of values) {
        runtime.charge(1 + result.length / 256);
        if (!result.some((seen) => deepEqual(seen, value))) result.push(value);
      }
      return result;
    },
  },
  sort: {
    signature: "<af?:a>",
    arity: 2,
    implementation: ([values, comparator], runtime, _input, frame) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      if (items.length <= 1) return items;
      if (comparator === undefined) {
        if (!isArrayOfNumbers(items) && !isArrayOfStrings(items))
          throw new ExpressionError({ code: "D3070", index: 1 });
        return mergeSort(items as (number | string)[], (a, b) => a > b, runtime);
      }
      const callDepth = runtime.callDepth;
      return mergeSort(
        items,
        (a, b) => {
          runtime.callDepth = callDepth;
          return Boolean(invokeProcedure(comparator, [a, b], runtime, null, frame));
        },
        runtime,
      );
    },
  },
  zip: {
    signature: "<a+>",
    arity: 0,
    implementation: (arrays, runtime) => {
      const length = Math.min(...arrays.map((array) => (Array.isArray(array) ? array.length : 0)));
      const result: unknown[][] = [];
      for (let index = 0; index < length; index += 1) {
        runtime.tick();
        result.push(arrays.map((array) => (array as unknown[])[index]));
      }
      return result;
    },
  },
  map: {
    signature: "<af>",
    arity: 2,
    implementation: ([values, fn], runtime, _input, frame) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      const result = sequence();
      const callDepth = runtime.callDepth;
      for (let index = 0; index < items.length; index += 1) {
        runtime.callDepth = callDepth;
        const mapped = callWithItem(fn as Callable, items[index], index, items, runtime, frame);
        if (mapped !== undefined) result.push(mapped);
      }
      return result;
    },
  },
  filter: {
    signature: "<af>",
    arity: 2,
    implementation: ([values, fn], runtime, _input, frame) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      const result = sequence();
      const callDepth = runtime.callDepth;
      for (let index = 0; index < items.length; index += 1) {
        runtime.callDepth = callDepth;
        if (toBoolean(callWithItem(fn as Callable, items[index], index, items, runtime, frame)))
          result.push(items[index]);
      }
      return result;
    },
  },
  single: {
    signature: "<af?>",
    arity: 2,
    implementation: ([values, fn], runtime, _input, frame) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      let found = false;
      let result: unknown;
      const callDepth = runtime.callDepth;
      for (let index = 0; index < items.length; index += 1) {
        runtime.callDepth = callDepth;
        const matches =
          fn === undefined ? true : toBoolean(callWithItem(fn as Callable, items[index], index, items, runtime, frame));
        if (!matches) continue;
        if (found) throw new ExpressionError({ code: "D3138", index });
        result = items[index];
        found = true;
      }
      if (!found) throw new ExpressionError({ code: "D3139" });
      return result;
    },
  },
  reduce: {
    signature: "<afj?:j>",
    arity: 3,
    implementation: ([values, fn, init], runtime, _input, frame) => {
      if (values === undefined) return undefined;
      const items = values as unknown[];
      const arity = arityOf(fn as Callable);
      if (arity < 2) throw new ExpressionError({ code: "D3050", index: 1 });
      let index = 0;
      let result = init;
      if (init === undefined && items.length > 0) {
        result = items[0];
        index = 1;
      }
      const callDepth = runtime.callDepth;
      for (; index < items.length; index += 1) {
        runtime.callDepth = callDepth;
        const args = [result, items[index]];
        if (arity >= 3) args.push(index);
        if (arity >= 4) args.push(items);
        result = invokeProcedure(fn, args, runtime, null, frame);
      }
      return result;
    },
  },
};
