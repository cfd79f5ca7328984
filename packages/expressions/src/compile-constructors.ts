import { append } from "./array-functions";
import { compileNode } from "./compile-ast";
import { type CompileContext, childContext } from "./compile-context";
import { frameFromTuple } from "./compile-path";
import type { Evaluator, Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import type { AstNode } from "./jsonata-ast";
import { defineMember } from "./object-functions";
import { isTupleStream, markConstructed, sequence } from "./sequence";
import { objectBuilder } from "./specialized-closures";

type Tuple = Record<string, unknown>;
type GroupEvaluator = (input: unknown, frame: Frame, runtime: Runtime) => Record<string, unknown>;

interface GroupEntry {
  data: unknown;
  pair: number;
}

/** Merges a group's tuples into one: each variable becomes the sequence of its values. */
function reduceTuples(data: unknown, runtime: Runtime): Tuple {
  if (!Array.isArray(data)) return { ...(data as Tuple) };
  const result: Tuple = { ...(data[0] as Tuple) };
  for (let index = 1; index < data.length; index += 1) {
    const tuple = data[index] as Tuple;
    for (const key of Object.keys(tuple)) result[key] = append(result[key], tuple[key], runtime);
  }
  return result;
}

/**
 * `{ key: value }` over a sequence: items are grouped by their key, and each group's value is
 * evaluated with the group's items as its context (JSONata's grouping). Over one item it is a
 * plain object constructor.
 */
export function compileGroup(pairs: [AstNode, AstNode][], context: CompileContext, position?: number): GroupEvaluator {
  const compiled = pairs.map(([key, value]) => ({
    key: compileNode(key, context),
    value: compileNode(value, context),
  }));
  const general: GroupEvaluator = (input, frame, runtime) => {
    const reduce = isTupleStream(input);
    let items: unknown[] = Array.isArray(input) ? input : sequence(input);
    // An empty input still gives the object its literal keys.
    if (items.length === 0 && !reduce) items = [undefined];
    const groups: Record<string, GroupEntry> = Object.create(null);
    for (const item of items) {
      runtime.tick();
      const itemFrame = reduce ? frameFromTuple(frame, item as Tuple) : frame;
      const context = reduce ? (item as Tuple)["@"] : item;
      for (let pair = 0; pair < compiled.length; pair += 1) {
        const key = compiled[pair]!.key(context, itemFrame, runtime);
        if (key === undefined) continue;
        if (typeof key !== "string") throw new ExpressionError({ code: "T1003", position, value: key });
        const entry = groups[key];
        if (entry === undefined) groups[key] = { data: item, pair };
        else if (entry.pair !== pair) throw new ExpressionError({ code: "D1009", position, value: key });
        else entry.data = append(entry.data, item, runtime);
      }
    }
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(groups)) {
      const entry = groups[key]!;
      let context = entry.data;
      let groupFrame = frame;
      if (reduce) {
        const tuple = reduceTuples(entry.data, runtime);
        context = tuple["@"];
        delete tuple["@"];
        groupFrame = frameFromTuple(frame, tuple);
      }
      const value = compiled[entry.pair]!.value(context, groupFrame, runtime);
      if (value !== undefined) defineMember(result, key, value);
    }
    return result;
  };
  const literal = literalKeys(pairs);
  if (!literal) return general;
  // Literal, distinct keys over a single item: build the object directly, values in the order
  // JSONata evaluates them (the order the keys take in an object).
  const order = Object.keys(Object.fromEntries(literal.map((key, index) => [key, index]))).map((key) =>
    literal.indexOf(key),
  );
  const build = objectBuilder(order.map((index) => ({ key: literal[index]!, value: compiled[index]!.value })));
  return (input, frame, runtime) => {
    if (!Array.isArray(input)) return build(input, frame, runtime);
    if (input.length > 1 || isTupleStream(input)) return general(input, frame, runtime);
    return build(input[0], frame, runtime);
  };
}

/** The keys when every key is a string literal and none repeats; otherwise undefined. */
function literalKeys(pairs: [AstNode, AstNode][]): string[] | undefined {
  const keys: string[] = [];
  for (const [key] of pairs) {
    if (key.type !== "string" || key.predicate || key.group || key.keepArray) return undefined;
    keys.push(String(key.value));
  }
  return new Set(keys).size === keys.length ? keys : undefined;
}

export function compileObject(node: AstNode, context: CompileContext): Evaluator {
  return compileGroup(node.lhs as [AstNode, AstNode][], childContext(context), node.position);
}

/** `[a, b, [c]]`: items appended (arrays spliced in), nested array constructors kept whole. */
export function compileArray(node: AstNode, context: CompileContext): Evaluator {
  const items = (node.expressions ?? []).map((item) => ({
    nested: item.value === "[",
    evaluate: compileNode(item, childContext(context)),
  }));
  const constructed = node.consarray === true;
  return (input, frame, runtime) => {
    const result: unknown[] = [];
    for (const item of items) {
      const value = item.evaluate(input, frame, runtime);
      if (value === undefined) continue;
      if (item.nested || !Array.isArray(value)) {
        result.push(value);
      } else {
        runtime.checkArrayLength(result.length + value.length);
        for (const member of value) result.push(member);
      }
    }
    return constructed ? markConstructed(result) : result;
  };
}
