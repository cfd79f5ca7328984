import { arrayFunctions } from "./array-functions";
import { dateTimeFunctions } from "./date-time-functions";
import { decimalFunctions } from "./decimal-functions";
import { evalFunctions } from "./eval-function";
import type { Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import type { Signature } from "./function-signature";
import { numericFunctions } from "./numeric-functions";
import { objectFunctions } from "./object-functions";
import { Procedure, signatureOf } from "./procedure";
import { stringFunctions } from "./string-functions";

/** A builtin's body: gets arguments already checked against its signature. */
export type BuiltinImplementation = (args: unknown[], runtime: Runtime, input: unknown, frame: Frame) => unknown;

export interface BuiltinDefinition {
  /** JSONata's signature, e.g. `<s-nn?:s>`. */
  signature: string;
  /** Parameters the function declares: how many of (value, index, array) $map and its kin pass. */
  arity: number;
  /** Parameters a partial application fills by position, when not `arity`. */
  parameters?: number;
  implementation: BuiltinImplementation;
}

/** A builtin as a function value (`$map(xs, $string)`, `$f := $uppercase`). */
export class BuiltinProcedure extends Procedure {
  readonly #name: string;
  readonly #signature: Signature;
  readonly #arity: number;
  readonly #parameters: number;
  readonly #implementation: BuiltinImplementation;

  constructor(name: string, definition: BuiltinDefinition) {
    super();
    this.#name = name;
    this.#signature = signatureOf(definition.signature);
    this.#arity = definition.arity;
    this.#parameters = definition.parameters ?? definition.arity;
    this.#implementation = definition.implementation;
  }

  name(): string {
    return this.#name;
  }

  arity(): number {
    return this.#arity;
  }

  override parameterCount(): number {
    return this.#parameters;
  }

  call(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
    try {
      return this.#implementation(this.#signature.validate(args, input), runtime, input, frame);
    } catch (error) {
      if (error instanceof ExpressionError) error.at(this.#name, undefined);
      throw error;
    }
  }

  override callUnchecked(args: unknown[], runtime: Runtime, input: unknown, frame: Frame): unknown {
    return this.#implementation(args, runtime, input, frame);
  }
}

const definitions: Record<string, BuiltinDefinition> = {
  ...stringFunctions,
  ...numericFunctions,
  ...arrayFunctions,
  ...objectFunctions,
  ...dateTimeFunctions,
  ...evalFunctions,
  ...decimalFunctions,
};

/** Every function an expression can call by name, unless a binding or a variable shadows it. */
export const builtins: ReadonlyMap<string, BuiltinProcedure> = new Map(
  Object.entries(definitions).map(([name, definition]) => [name, new BuiltinProcedure(name, definition)]),
);
