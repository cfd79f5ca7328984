import type { Evaluator, Frame, Runtime } from "./evaluation-runtime";
import { defineMember } from "./object-functions";

/**
 * Closures generated per field name or object shape (as ajv generates its validators), so each
 * gets its own inline caches: one shared `value[key]` or `result[key] = value` goes megamorphic
 * across a flow's many fields. Where code generation is forbidden (a browser page's CSP), the
 * generic closures do the same work.
 */

type FieldReader = (value: object) => unknown;

const readers = new Map<string, FieldReader>();
const MAX_GENERATED = 10_000;

function generate<T>(parameters: string[], body: string): T | undefined {
  try {
    return new Function(...parameters, body) as T;
  } catch {
    return undefined;
  }
}

/** Reads a field of an object; an inherited function (`constructor`, `toString`) is not a field. */
export function fieldReader(key: string): FieldReader {
  const cached = readers.get(key);
  if (cached) return cached;
  const plain: FieldReader = (value) => {
    const next = (value as Record<string, unknown>)[key];
    return typeof next === "function" && !Object.hasOwn(value, key) ? undefined : next;
  };
  if (readers.size >= MAX_GENERATED) return plain;
  const name = JSON.stringify(key);
  const reader =
    generate<FieldReader>(
      ["value"],
      `const next = value[${name}]; return typeof next === "function" && !Object.hasOwn(value, ${name}) ? undefined : next;`,
    ) ?? plain;
  readers.set(key, reader);
  return reader;
}

type Builder = (item: unknown, frame: Frame, runtime: Runtime) => Record<string, unknown>;

/** Builds `{ key: value, ... }` from literal keys, leaving out the undefined values. */
export function objectBuilder(fields: { key: string; value: Evaluator }[]): Builder {
  const plain: Builder = (item, frame, runtime) => {
    const result: Record<string, unknown> = {};
    for (const field of fields) {
      const value = field.value(item, frame, runtime);
      if (value !== undefined) defineMember(result, field.key, value);
    }
    return result;
  };
  if (fields.length === 0 || fields.length > 64) return plain;
  const statements = fields.map(({ key }, index) => {
    const store =
      key === "__proto__" ? `defineMember(result, "__proto__", value);` : `result[${JSON.stringify(key)}] = value;`;
    return `value = e${index}(item, frame, runtime); if (value !== undefined) ${store}`;
  });
  const factory = generate<(...args: unknown[]) => Builder>(
    ["defineMember", ...fields.map((_, index) => `e${index}`)],
    `return function build(item, frame, runtime) { const result = {}; let value; ${statements.join(" ")} return result; };`,
  );
  return factory ? factory(defineMember, ...fields.map((field) => field.value)) : plain;
}
