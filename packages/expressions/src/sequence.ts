/**
 * JSONata sequences: arrays the evaluator builds, which collapse (empty -> undefined, one item ->
 * the item) when an expression's value is taken, unlike arrays in the data. Flags live on the
 * arrays under symbols, so they never show in JSON or in `Object.keys`.
 */
const SEQUENCE = Symbol("sequence");
const KEEP_SINGLETON = Symbol("keepSingleton");
const CONSTRUCTED = Symbol("constructed");
const OUTER_WRAPPER = Symbol("outerWrapper");
const TUPLE_STREAM = Symbol("tupleStream");

type Flagged = unknown[] & {
  [SEQUENCE]?: true;
  [KEEP_SINGLETON]?: true;
  [CONSTRUCTED]?: true;
  [OUTER_WRAPPER]?: true;
  [TUPLE_STREAM]?: true;
};

/** A new sequence holding the given items (the array is taken over, not copied). */
export function sequence(...items: unknown[]): unknown[] {
  const result = items as Flagged;
  result[SEQUENCE] = true;
  return result;
}

/** Marks an existing array as a sequence. */
export function asSequence<T extends unknown[]>(items: T): T {
  (items as Flagged)[SEQUENCE] = true;
  return items;
}

export function isSequence(value: unknown): value is unknown[] {
  return Array.isArray(value) && (value as Flagged)[SEQUENCE] === true;
}

/** `expr[]`: a one-item sequence stays an array. */
export function keepSingleton(value: unknown[]): void {
  (value as Flagged)[KEEP_SINGLETON] = true;
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

/** A sequence of tuples (`{ "@": item, $focus: ..., $index: ... }`) carried through a path. */
export function tupleStream(items: Record<string, unknown>[] = []): Record<string, unknown>[] {
  const result = items as unknown as Flagged;
  result[SEQUENCE] = true;
  result[TUPLE_STREAM] = true;
  return items;
}

export function isTupleStream(value: unknown): value is Record<string, unknown>[] {
  return Array.isArray(value) && (value as Flagged)[TUPLE_STREAM] === true;
}

/** The value of a sequence as an expression's result, as the reference's evaluate() ends. */
export function collapse(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const flagged = value as Flagged;
  if (flagged[SEQUENCE] !== true || flagged[TUPLE_STREAM] === true) return value;
  if (value.length === 0) return undefined;
  if (value.length === 1 && flagged[KEEP_SINGLETON] !== true) return value[0];
  return value;
}

/** `collapse` for a node written with `[]`: a sequence keeps even a single item. */
export function collapseKeepingArray(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const flagged = value as Flagged;
  if (flagged[SEQUENCE] !== true || flagged[TUPLE_STREAM] === true) return value;
  flagged[KEEP_SINGLETON] = true;
  return value.length === 0 ? undefined : value;
}
