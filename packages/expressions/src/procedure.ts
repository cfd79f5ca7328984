import { type Evaluator, Frame, type Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { parseSignature, type Signature } from "./function-signature";

/**
 * A function value: a lambda, a builtin, a partial application, a regex or a transform. Its
 * state is in private fields, so a path step or `$lookup` over it finds nothing, as in JSONata.
 */
export abstract class Procedure {
  /** How many parameters it declares: what $map, $filter, $sort... pass to it. */
  abstract arity(): number;

  /** Checks the arguments against the signature (if any), then runs. */
  abstract call(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown;

  /** Runs without checking a signature, as a partial application does. */
  callUnchecked(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
    return this.call(args, runtime, input, frame);
  }

  /** How many parameters a partial application fills, by position. */
  parameterCount(): number {
    return this.arity();
  }
}

/** A function value: a procedure, or a JavaScript function passed in the bindings. */
export function isCallable(value: unknown): value is Procedure | ((...args: unknown[]) => unknown) {
  return value instanceof Procedure || typeof value === "function";
}

export function signatureOf(definition: string): Signature {
  return parseSignature(definition, (value) => value instanceof Procedure);
}

export function arityOf(fn: Procedure | ((...args: unknown[]) => unknown)): number {
  return fn instanceof Procedure ? fn.arity() : fn.length;
}

/** Calls a function value; anything else is T1006. */
export function invokeProcedure(fn: unknown, args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
  if (fn instanceof Procedure) return fn.call(args, runtime, input, frame);
  if (typeof fn === "function") return (fn as (...values: unknown[]) => unknown).apply(input, args);
  throw new ExpressionError({ code: "T1006" });
}

/**
 * What a call in tail position of a lambda body evaluates to: the lambda's invocation loop runs
 * it (the reference's trampoline), so tail recursion does not grow the stack.
 */
export class TailCall {
  constructor(
    readonly procedure: unknown,
    readonly args: unknown[],
    readonly input: unknown,
    readonly frame: Frame,
  ) {}
}

/** `function($a, $b)<sig> { body }`, closed over the frame and input where it was defined. */
export class LambdaProcedure extends Procedure {
  readonly #params: readonly string[];
  readonly #signature: Signature | undefined;
  readonly #body: Evaluator;
  readonly #input: unknown;
  readonly #frame: Frame;

  constructor(
    params: readonly string[],
    signature: Signature | undefined,
    body: Evaluator,
    input: unknown,
    frame: Frame,
  ) {
    super();
    this.#params = params;
    this.#signature = signature;
    this.#body = body;
    this.#input = input;
    this.#frame = frame;
  }

  arity(): number {
    return this.#params.length;
  }

  call(args: unknown[], runtime: Runtime, input: unknown): unknown {
    return LambdaProcedure.run(this, this.#signature ? this.#signature.validate(args, input) : args, runtime);
  }

  override callUnchecked(args: unknown[], runtime: Runtime): unknown {
    return LambdaProcedure.run(this, args, runtime);
  }

  /** The same lambda with some parameters bound (partial application keeps no signature). */
  bindSome(bound: Map<string, unknown>, remaining: readonly string[]): LambdaProcedure {
    const frame = new Frame(this.#frame);
    for (const [name, value] of bound) frame.bind(name, value);
    return new LambdaProcedure(remaining, undefined, this.#body, this.#input, frame);
  }

  parameterNames(): readonly string[] {
    return this.#params;
  }

  /** Runs the body; a tail call it returns runs in this loop, so the stack does not grow. */
  private static run(first: LambdaProcedure, args: unknown[], runtime: Runtime): unknown {
    runtime.tick();
    const savedBase = runtime.depthBase;
    const callDepth = runtime.callDepth;
    runtime.depthBase = callDepth;
    try {
      let lambda = first;
      let current = args;
      for (;;) {
        const frame = new Frame(lambda.#frame);
        const params = lambda.#params;
        for (let index = 0; index < params.length; index += 1) frame.bind(params[index]!, current[index]);
        const result = lambda.#body(lambda.#input, frame, runtime);
        if (!(result instanceof TailCall)) return result;
        runtime.tick();
        runtime.depthBase = callDepth;
        runtime.callDepth = callDepth;
        const callee = result.procedure;
        if (!(callee instanceof LambdaProcedure))
          return invokeProcedure(callee, result.args, runtime, result.input, result.frame);
        current = callee.#signature ? callee.#signature.validate(result.args, result.input) : result.args;
        lambda = callee;
      }
    } finally {
      runtime.depthBase = savedBase;
      runtime.callDepth = callDepth;
    }
  }
}

/** `$f(?, 2)`: a procedure with some arguments fixed, taking the `?` ones when called. */
export class PartialProcedure extends Procedure {
  readonly #target: Procedure;
  readonly #template: readonly unknown[];
  readonly #placeholder: unknown;
  readonly #open: number;

  constructor(target: Procedure, template: readonly unknown[], placeholder: unknown) {
    super();
    this.#target = target;
    this.#template = template.slice(0, target.parameterCount());
    this.#placeholder = placeholder;
    this.#open = this.#template.filter((arg) => arg === placeholder).length;
  }

  arity(): number {
    return this.#open;
  }

  call(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
    let next = 0;
    const count = this.#target.parameterCount();
    const filled = new Array<unknown>(count);
    for (let index = 0; index < count; index += 1) {
      const fixed = this.#template[index];
      filled[index] = fixed === this.#placeholder ? args[next++] : fixed;
    }
    return this.#target.callUnchecked(filled, runtime, input, frame);
  }
}

/** `$f ~> $g` with two functions: a function that applies $f, then $g. */
export class ChainProcedure extends Procedure {
  readonly #first: unknown;
  readonly #second: unknown;

  constructor(first: unknown, second: unknown) {
    super();
    this.#first = first;
    this.#second = second;
  }

  arity(): number {
    return 1;
  }

  call(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
    const callDepth = runtime.callDepth;
    const middle = invokeProcedure(this.#first, [args[0]], runtime, input, frame);
    runtime.callDepth = callDepth;
    return invokeProcedure(this.#second, [middle], runtime, input, frame);
  }
}

/** A JavaScript function from the bindings, as a procedure (for partial application). */
export class HostProcedure extends Procedure {
  readonly #fn: (...args: unknown[]) => unknown;

  constructor(fn: (...args: unknown[]) => unknown) {
    super();
    this.#fn = fn;
  }

  arity(): number {
    return this.#fn.length;
  }

  call(args: unknown[], _runtime: Runtime, input: unknown): unknown {
    return this.#fn.apply(input, args);
  }
}
