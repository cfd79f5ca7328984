import { compileNode, lookupVariable } from "./compile-ast";
import { bodyContext, type CompileContext } from "./compile-context";
import type { Evaluator, Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import type { AstNode } from "./jsonata-ast";
import { defineMember } from "./object-functions";
import { invokeProcedure, isCallable, Procedure, signatureOf } from "./procedure";
import { isArrayOfStrings } from "./value-semantics";

const TRANSFORM_SIGNATURE = signatureOf("<(oa):o>");

interface TransformParts {
  pattern: Evaluator;
  update: Evaluator;
  remove: Evaluator | undefined;
  position: number | undefined;
  updatePosition: number | undefined;
  deletePosition: number | undefined;
}

/**
 * `| pattern | update, delete |`: a function that copies its argument (with `$clone`, which an
 * expression may redefine), then merges `update` into, and removes `delete` from, every part of
 * the copy that `pattern` selects.
 */
class TransformProcedure extends Procedure {
  readonly #parts: TransformParts;
  readonly #frame: Frame;

  constructor(parts: TransformParts, frame: Frame) {
    super();
    this.#parts = parts;
    this.#frame = frame;
  }

  arity(): number {
    return 1;
  }

  call(args: unknown[], runtime: Runtime, input: unknown): unknown {
    return this.callUnchecked(TRANSFORM_SIGNATURE.validate(args, input), runtime);
  }

  override callUnchecked(args: unknown[], runtime: Runtime): unknown {
    const [subject] = args;
    if (subject === undefined) return undefined;
    const { pattern, update, remove, position, updatePosition, deletePosition } = this.#parts;
    const frame = this.#frame;
    const clone = lookupVariable("clone", frame, runtime);
    if (!isCallable(clone)) throw new ExpressionError({ code: "T2013", position });
    const savedBase = runtime.depthBase;
    const callDepth = runtime.callDepth;
    runtime.depthBase = callDepth;
    try {
      const result = invokeProcedure(clone, [subject], runtime, undefined, frame);
      runtime.callDepth = callDepth;
      let matches = pattern(result, frame, runtime);
      if (matches === undefined) return result;
      if (!Array.isArray(matches)) matches = [matches];
      for (const match of matches as unknown[]) {
        runtime.tick();
        const changes = update(match, frame, runtime);
        if (changes !== undefined) {
          if (changes === null || typeof changes !== "object" || Array.isArray(changes))
            throw new ExpressionError({ code: "T2011", position: updatePosition, value: changes });
          if (match !== null && typeof match === "object")
            for (const key of Object.keys(changes))
              defineMember(match as Record<string, unknown>, key, (changes as Record<string, unknown>)[key]);
        }
        if (remove) {
          const deletions = remove(match, frame, runtime);
          if (deletions === undefined) continue;
          const keys = Array.isArray(deletions) ? deletions : [deletions];
          if (!isArrayOfStrings(keys))
            throw new ExpressionError({ code: "T2012", position: deletePosition, value: deletions });
          if (match !== null && typeof match === "object")
            for (const key of keys) delete (match as Record<string, unknown>)[key];
        }
      }
      return result;
    } finally {
      runtime.depthBase = savedBase;
      runtime.callDepth = callDepth;
    }
  }
}

export function compileTransform(node: AstNode, context: CompileContext): Evaluator {
  const body = bodyContext(context);
  const parts: TransformParts = {
    pattern: compileNode(node.pattern!, body),
    update: compileNode(node.update!, body),
    remove: node.delete ? compileNode(node.delete, body) : undefined,
    position: node.position,
    updatePosition: node.update?.position,
    deletePosition: node.delete?.position,
  };
  return (_input, frame) => new TransformProcedure(parts, frame);
}
