import { append, mergeSort } from "./array-functions";
import { compileNode } from "./compile-ast";
import { type CompileContext, childContext } from "./compile-context";
import { compileGroup } from "./compile-constructors";
import { type Evaluator, Frame, type Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import type { AstNode, AstStage } from "./jsonata-ast";
import { Procedure } from "./procedure";
import {
  collapse,
  isConstructed,
  isOuterWrapper,
  isSequence,
  isTupleStream,
  keepSingleton,
  sequence,
  tupleStream,
} from "./sequence";
import { fieldReader } from "./specialized-closures";
import { isArrayOfNumbers, isNumeric, toBoolean } from "./value-semantics";

/**
 * Paths (`a.b[c > 1].d`), as JSONata evaluates them: each step maps over the previous step's
 * results and flattens; `@$x`, `#$i` and `%` turn the path into a stream of tuples that carry
 * those variables along.
 */

type Tuple = Record<string, unknown>;
type Stage = (input: unknown, frame: Frame, runtime: Runtime) => unknown;

interface CompiledStep {
  node: AstNode;
  /** Evaluates the step for one item (not used by a sort step). */
  evaluate: Evaluator;
  /** A sort step (`^(...)`) orders its whole input instead. */
  sort: ((input: unknown[], frame: Frame, runtime: Runtime) => unknown[]) | undefined;
  filters: Stage[];
  stages: { index?: string; filter?: Stage }[];
  tuple: boolean;
  focus: string | undefined;
  index: string | undefined;
  ancestor: string | undefined;
  consarray: boolean;
}

export function frameFromTuple(frame: Frame, tuple: Tuple): Frame {
  const inner = new Frame(frame);
  for (const key of Object.keys(tuple)) inner.bind(key, tuple[key]);
  return inner;
}

/** `[predicate]`: a literal number picks by position; anything else filters item by item. */
export function compileFilter(predicate: AstNode, context: CompileContext): Stage {
  if (predicate.type === "number") {
    const wanted = Math.floor(Number(predicate.value));
    return (input) => {
      const items = Array.isArray(input) ? input : sequence(input);
      const at = wanted < 0 ? items.length + wanted : wanted;
      const item = items[at];
      const results = isTupleStream(input) ? tupleStream() : sequence();
      if (item === undefined) return results;
      if (Array.isArray(item)) return item;
      results.push(item as Tuple);
      return results;
    };
  }
  const condition = compileNode(predicate, context);
  return (input, frame, runtime) => {
    const tuples = isTupleStream(input);
    const results: unknown[] = tuples ? tupleStream() : sequence();
    const items = Array.isArray(input) ? input : sequence(input);
    for (let index = 0; index < items.length; index += 1) {
      runtime.tick();
      const item = items[index];
      let verdict = tuples
        ? condition((item as Tuple)["@"], frameFromTuple(frame, item as Tuple), runtime)
        : condition(item, frame, runtime);
      if (isNumeric(verdict)) verdict = [verdict];
      if (isArrayOfNumbers(verdict)) {
        for (const position of verdict) {
          let at = Math.floor(position);
          if (at < 0) at = items.length + at;
          if (at === index) results.push(item);
        }
      } else if (toBoolean(verdict)) {
        results.push(item);
      }
    }
    return results;
  };
}

/** `^(<a, >b)`: a stable sort by the terms, undefined last; numbers or strings, not mixed. */
function compileSort(
  step: AstNode,
  context: CompileContext,
): (input: unknown[], frame: Frame, runtime: Runtime) => unknown[] {
  const terms = (step.terms ?? []).map((term) => ({
    descending: term.descending,
    evaluate: compileNode(term.expression, context),
  }));
  const position = step.position;
  return (input, frame, runtime) => {
    if (input.length <= 1) return input;
    const tuples = isTupleStream(input);
    const valueOf = (item: unknown, term: (typeof terms)[number]) =>
      tuples
        ? term.evaluate((item as Tuple)["@"], frameFromTuple(frame, item as Tuple), runtime)
        : term.evaluate(item, frame, runtime);
    const swap = (a: unknown, b: unknown): boolean => {
      let comparison = 0;
      for (let index = 0; comparison === 0 && index < terms.length; index += 1) {
        const term = terms[index]!;
        const left = valueOf(a, term);
        const right = valueOf(b, term);
        if (left === undefined) {
          comparison = right === undefined ? 0 : 1;
          continue;
        }
        if (right === undefined) {
          comparison = -1;
          continue;
        }
        const leftType = typeof left;
        const rightType = typeof right;
        if (!(leftType === "string" || leftType === "number") || !(rightType === "string" || rightType === "number"))
          throw new ExpressionError({
            code: "T2008",
            position,
            value: !(leftType === "string" || leftType === "number") ? left : right,
          });
        if (leftType !== rightType) throw new ExpressionError({ code: "T2007", position, value: left, value2: right });
        if (left === right) continue;
        comparison = (left as number) < (right as number) ? -1 : 1;
        if (term.descending) comparison = -comparison;
      }
      return comparison === 1;
    };
    return mergeSort(input, swap, runtime);
  };
}

function compileStep(step: AstNode, context: CompileContext): CompiledStep {
  const stages = (step.stages ?? []).map((stage: AstStage) =>
    stage.type === "index" ? { index: String(stage.value) } : { filter: compileFilter(stage.expr!, context) },
  );
  const isSort = step.type === "sort";
  return {
    node: step,
    evaluate: isSort ? () => undefined : compileNode(step, context),
    sort: isSort ? compileSort(step, context) : undefined,
    filters: stages.flatMap((stage) => (stage.filter ? [stage.filter] : [])),
    stages,
    tuple: step.tuple === true,
    focus: step.focus,
    index: step.index,
    ancestor: step.ancestor?.label,
    consarray: step.consarray === true,
  };
}

/** The input as an array, itself when it is one (a sort of one item returns it, flags and all). */
function asArray(input: ArrayLike<unknown>): unknown[] {
  return Array.isArray(input) ? input : Array.from(input);
}

function applyStages(step: CompiledStep, input: unknown[], frame: Frame, runtime: Runtime): unknown[] {
  let result = input;
  for (const stage of step.stages) {
    if (stage.filter) result = stage.filter(result, frame, runtime) as unknown[];
    else result.forEach((tuple, position) => ((tuple as Tuple)[stage.index!] = position));
  }
  return result;
}

/** One step over every item of the input sequence, flattening the results into one sequence. */
function evaluateStep(
  step: CompiledStep,
  input: ArrayLike<unknown>,
  frame: Frame,
  runtime: Runtime,
  lastStep: boolean,
): unknown[] {
  if (step.sort) return applyStages(step, step.sort(asArray(input), frame, runtime), frame, runtime);
  const results: unknown[] = [];
  for (let index = 0; index < input.length; index += 1) {
    runtime.tick();
    let result = step.evaluate(input[index], frame, runtime);
    for (const filter of step.filters) result = filter(result, frame, runtime);
    if (result !== undefined) results.push(result);
  }
  if (lastStep && results.length === 1 && Array.isArray(results[0]) && !isSequence(results[0])) return results[0];
  const flattened = sequence();
  for (const result of results) {
    if (!Array.isArray(result) || isConstructed(result)) {
      flattened.push(result);
    } else {
      runtime.checkArrayLength(flattened.length + result.length);
      runtime.chargeItems(result.length);
      for (const value of result) flattened.push(value);
    }
  }
  return flattened;
}

/** A step in a tuple stream: each result becomes a tuple carrying the step's variables. */
function evaluateTupleStep(
  step: CompiledStep,
  input: ArrayLike<unknown>,
  tuples: Tuple[] | undefined,
  frame: Frame,
  runtime: Runtime,
): Tuple[] {
  if (step.sort) {
    let sorted: Tuple[];
    if (tuples) {
      sorted = step.sort(tuples, frame, runtime) as Tuple[];
    } else {
      const items = step.sort(asArray(input), frame, runtime);
      sorted = tupleStream();
      items.forEach((item, position) => sorted.push({ "@": item, [String(step.index)]: position }));
    }
    return applyStages(step, sorted, frame, runtime) as Tuple[];
  }
  const source = tuples ?? Array.from(input as unknown[], (item) => ({ "@": item }) as Tuple);
  let result = tupleStream();
  for (const tuple of source) {
    runtime.tick();
    let value = step.evaluate(tuple["@"], frameFromTuple(frame, tuple), runtime);
    if (value === undefined) continue;
    if (!Array.isArray(value)) value = [value];
    const values = value as unknown[];
    const nested = isTupleStream(values);
    runtime.checkArrayLength(result.length + values.length);
    for (let position = 0; position < values.length; position += 1) {
      const next: Tuple = { ...tuple };
      if (nested) {
        Object.assign(next, values[position]);
      } else {
        if (step.focus !== undefined) {
          next[step.focus] = values[position];
          next["@"] = tuple["@"];
        } else {
          next["@"] = values[position];
        }
        if (step.index !== undefined) next[step.index] = position;
        if (step.ancestor !== undefined) next[step.ancestor] = tuple["@"];
      }
      result.push(next);
    }
  }
  if (step.stages.length > 0) result = applyStages(step, result, frame, runtime) as Tuple[];
  return result;
}

export function compilePath(node: AstNode, context: CompileContext): Evaluator {
  const inner = childContext(context);
  const steps = (node.steps ?? []).map((step) => compileStep(step, inner));
  const absolute = node.steps?.[0]?.type === "variable";
  const keepsTuples = node.tuple === true;
  const keepSingletonArray = node.keepSingletonArray === true;
  const group = node.group ? compileGroup(node.group.lhs, inner, node.group.position) : undefined;
  const last = steps.length - 1;

  const general: Evaluator = (input, frame, runtime) => {
    let inputSequence: ArrayLike<unknown> = Array.isArray(input) && !absolute ? input : sequence(input);
    let result: unknown;
    let tuples: Tuple[] | undefined;
    let isTuples = false;
    for (let index = 0; index <= last; index += 1) {
      const step = steps[index]!;
      if (step.tuple) isTuples = true;
      if (index === 0 && step.consarray) result = step.evaluate(inputSequence, frame, runtime);
      else if (isTuples) tuples = evaluateTupleStep(step, inputSequence, tuples, frame, runtime);
      else result = evaluateStep(step, inputSequence, frame, runtime, index === last);
      if (!isTuples && (result === undefined || (result as unknown[]).length === 0)) break;
      if (step.focus === undefined) inputSequence = result as ArrayLike<unknown>;
    }
    if (isTuples) {
      if (keepsTuples) result = tuples;
      else result = sequence(...(tuples ?? []).map((tuple) => tuple["@"]));
    }
    if (keepSingletonArray && Array.isArray(result)) {
      if (isConstructed(result) && !isSequence(result)) result = sequence(result);
      keepSingleton(result as unknown[]);
    }
    if (group) result = group(isTuples ? tuples : result, frame, runtime);
    return result;
  };
  return general;
}

/**
 * A path of plain field names (`data.tenantId`), the common case in mappings, compiled with
 * its collapse: reads the fields directly while the values are single objects, and falls back
 * to the general walk at the first array, from the step it is found at. Undefined when the path
 * is not such a path, or its depth must be checked at its steps.
 */
export function compileFieldPath(node: AstNode, context: CompileContext): Evaluator | undefined {
  const steps = node.steps ?? [];
  const plain = steps.every(
    (step) =>
      step.type === "name" &&
      !step.stages &&
      !step.predicate &&
      !step.group &&
      !step.keepArray &&
      !step.tuple &&
      !step.focus &&
      !step.index &&
      step.value !== "__proto__",
  );
  if (!plain || steps.length === 0 || node.keepSingletonArray || node.group || node.tuple || node.keepArray)
    return undefined;
  if (context.dynamicBase || context.depth + 1 > context.maxDepth) return undefined;
  const inner = childContext(context);
  const compiled = steps.map((step) => compileStep(step, inner));
  const general = compilePath(node, context);
  const fromStep = (items: unknown[], from: number, frame: Frame, runtime: Runtime): unknown => {
    let current: ArrayLike<unknown> = items;
    let result: unknown[] | undefined;
    for (let index = from; index < compiled.length; index += 1) {
      result = evaluateStep(compiled[index]!, current, frame, runtime, index === compiled.length - 1);
      if (result.length === 0) break;
      current = result;
    }
    return collapse(result);
  };
  // What the general walk gives for a value read through single objects, collapsed.
  const finish = (value: unknown): unknown => (isSequence(value) ? collapse(sequence(...value)) : value);
  const readers = steps.map((step) => fieldReader(String(step.value)));
  if (readers.length === 1) {
    const [read] = readers as [ReturnType<typeof fieldReader>];
    return (input, frame, runtime) => {
      if (input === null || typeof input !== "object") return undefined;
      if (Array.isArray(input)) return collapse(general(input, frame, runtime));
      return finish(read(input));
    };
  }
  if (readers.length === 2) {
    const [readFirst, readSecond] = readers as [ReturnType<typeof fieldReader>, ReturnType<typeof fieldReader>];
    return (input, frame, runtime) => {
      if (input === null || typeof input !== "object") return undefined;
      if (Array.isArray(input)) return collapse(general(input, frame, runtime));
      const middle = readFirst(input);
      if (middle === null || typeof middle !== "object") return undefined;
      if (Array.isArray(middle)) return fromStep(middle, 1, frame, runtime);
      return finish(readSecond(middle));
    };
  }
  return (input, frame, runtime) => {
    if (Array.isArray(input)) return collapse(general(input, frame, runtime));
    let value: unknown = input;
    for (let index = 0; index < readers.length; index += 1) {
      if (value === null || typeof value !== "object") return undefined;
      if (Array.isArray(value)) return fromStep(value, index, frame, runtime);
      value = readers[index]!(value);
    }
    return finish(value);
  };
}

/** `*`: the values of the input object's fields, arrays flattened. */
export function compileWildcard(): Evaluator {
  const flatten = (value: unknown, into: unknown[]): unknown[] => {
    if (Array.isArray(value)) for (const item of value) flatten(item, into);
    else into.push(value);
    return into;
  };
  return (input, _frame, runtime) => {
    let results: unknown = sequence();
    let subject = input;
    if (isOuterWrapper(subject) && subject.length > 0) subject = subject[0];
    if (subject !== null && typeof subject === "object" && !(subject instanceof Procedure)) {
      for (const key of Object.keys(subject)) {
        const value = (subject as Record<string, unknown>)[key];
        if (Array.isArray(value)) results = append(results, flatten(value, []), runtime);
        else (results as unknown[]).push(value);
      }
    }
    return results;
  };
}

/** `**`: the input and every value nested in it, depth first. */
export function compileDescendants(): Evaluator {
  const collect = (value: unknown, into: unknown[], runtime: Runtime): void => {
    runtime.tick();
    if (Array.isArray(value)) {
      for (const item of value) collect(item, into, runtime);
      return;
    }
    into.push(value);
    if (value !== null && typeof value === "object" && !(value instanceof Procedure))
      for (const key of Object.keys(value)) collect((value as Record<string, unknown>)[key], into, runtime);
  };
  return (input, _frame, runtime) => {
    if (input === undefined) return undefined;
    const results = sequence();
    collect(input, results, runtime);
    runtime.checkArrayLength(results.length);
    runtime.chargeItems(results.length);
    return results.length === 1 ? results[0] : results;
  };
}
