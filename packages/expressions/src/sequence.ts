/**
 * JSONata sequences: arrays the evaluator builds, which collapse (empty -> undefined,
 * one item -> the item) when an expression's value is taken, unlike arrays in the data.
 */
const SEQUENCE = Symbol("sequence");
const CONSTRUCTED = Symbol("constructed");
const OUTER_WRAPPER = Symbol("outerWrapper");

type Flagged = unknown[] & { [SEQUENCE]?: true; [CONSTRUCTED]?: true; [OUTER_WRAPPER]?: true };

export function sequence(...items: unknown[]): unknown[] {
  const result = items as Flagged;
  result[SEQUENCE] = true;
  return result;
}

export function isSequence(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as Flagged)[SEQUENCE] === true;
}

/** Marks an array built by an array constructor: kept whole when a path flattens results. */
export function markConstructed<T extends unknown[]>(array: T): T {
  (array as Flagged)[CONSTRUCTED] = true;
  return array;
}

export function isConstructed(value: unknown[]): boolean {
  return (value as Flagged)[CONSTRUCTED] === true;
}

/** The top-level input array is wrapped once, as the reference does, so `$` returns it whole. */
export function outerWrapper(input: unknown[]): unknown[] {
  const wrapper = sequence(input) as Flagged;
  wrapper[OUTER_WRAPPER] = true;
  return wrapper;
}

export function isOuterWrapper(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as Flagged)[OUTER_WRAPPER] === true;
}

/** The value of a sequence as an expression result. */
export function collapse(value: unknown): unknown {
  if (!Array.isArray(value) || (value as Flagged)[SEQUENCE] !== true) return value;
  if (value.length === 0) return undefined;
  if (value.length === 1) return value[0];
  return value;
}
