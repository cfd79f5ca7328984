import type { CompiledExpression } from "@meterflow/expressions";
import type { FlowNodeOf, NodeType } from "@meterflow/flow-spec";
import type { EngineContext, Effects, Item } from "./engine-types";

/** What a node may use while a batch runs. */
export interface NodeRun {
  context: EngineContext;
  effects: Effects;
  flowVersionHash: string;
}

/** Items out, by output port name. */
export type PortOutputs = Record<string, Item[]>;

export type NodeProcessor = (items: Item[], run: NodeRun) => PortOutputs;

/** Compile-time services for a node: expressions are compiled once per plan. */
export interface PrepareEnv {
  expression(source: string): CompiledExpression;
  flowVersionHash: string;
}

export interface NodeImplementation<T extends NodeType> {
  prepare(node: FlowNodeOf<T>, env: PrepareEnv): NodeProcessor;
}

export function exceptionItem(item: Item, kind: NonNullable<Item["exception"]>["kind"], reason: string): Item {
  return { ...item, exception: { kind, reason } };
}

/** Evaluates an expression on an item; a runtime error becomes a reason instead of stopping the batch. */
export function evaluateOn(
  expression: CompiledExpression,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: expression.evaluate(value) };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}
