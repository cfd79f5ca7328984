import { ExpressionError } from "./expression-error";

/**
 * JSONata function signatures (`<s-nn?:s>`): which arguments a function takes, checked before it
 * runs. Matching follows JSONata's rules, which it states as a regular expression over one type
 * letter per argument: `?` optional, `+` one or more, `-` "use the context value when missing",
 * `a` takes any value (a single one becomes a one-item array), `a<n>` checks the items' type.
 */
const S = 1;
const N = 2;
const B = 4;
const L = 8;
const O = 16;
const A = 32;
const F = 64;
const M = 128; // missing: an undefined argument

const LETTER_BITS: Record<string, number> = { s: S, n: N, b: B, l: L, o: O, a: A, f: F, m: M };
const PLURALS: Record<string, string> = {
  a: "arrays",
  b: "booleans",
  f: "functions",
  n: "numbers",
  o: "objects",
  s: "strings",
};

interface Parameter {
  /** Type letters the parameter accepts, as bits. */
  accepts: number;
  optional: boolean;
  repeated: boolean;
  /** The context value stands in when the argument is missing (`-`), if it has these types. */
  contextAccepts: number | undefined;
  isArray: boolean;
  subtype: string | undefined;
}

export interface Signature {
  readonly definition: string;
  /** The arguments as the function receives them; throws T0410, T0411 or T0412. */
  validate(args: readonly unknown[], context: unknown): unknown[];
}

/** The type letter of a value, as a bit (functions are recognised by the caller's test). */
export function typeBit(value: unknown, isFunction: (value: unknown) => boolean): number {
  switch (typeof value) {
    case "undefined":
      return M;
    case "string":
      return S;
    case "number":
      return N;
    case "boolean":
      return B;
    case "function":
      return F;
    default:
      if (value === null) return L;
      if (Array.isArray(value)) return A;
      return isFunction(value) ? F : O;
  }
}

function typeLetter(bit: number): string {
  for (const [letter, value] of Object.entries(LETTER_BITS)) if (value === bit) return letter;
  return "m";
}

/** Parses a signature; `isFunction` tells function values (procedures) from objects. */
export function parseSignature(definition: string, isFunction: (value: unknown) => boolean): Signature {
  const params: Parameter[] = [];
  let previous: Parameter | undefined;
  const add = (accepts: number, isArray = false): void => {
    previous = { accepts, optional: false, repeated: false, contextAccepts: undefined, isArray, subtype: undefined };
    params.push(previous);
  };
  for (let position = 1; position < definition.length; position += 1) {
    const symbol = definition.charAt(position);
    if (symbol === ":") break;
    switch (symbol) {
      case "s":
      case "n":
      case "b":
      case "l":
      case "o":
        add(LETTER_BITS[symbol]! | M);
        break;
      case "a":
        add(S | N | B | L | F | O | A | M, true);
        break;
      case "f":
        add(F);
        break;
      case "j":
        add(S | N | B | L | O | A | M);
        break;
      case "x":
        add(S | N | B | L | F | O | A | M);
        break;
      case "-":
        if (previous) {
          previous.contextAccepts = previous.accepts;
          previous.optional = true;
        }
        break;
      case "?":
        if (previous) previous.optional = true;
        break;
      case "+":
        if (previous) previous.repeated = true;
        break;
      case "(": {
        const end = closingBracket(definition, position, "(", ")");
        const choice = definition.substring(position + 1, end);
        if (choice.includes("<")) throw new ExpressionError({ code: "S0402", value: choice, position });
        let accepts = M;
        for (const letter of choice) accepts |= LETTER_BITS[letter] ?? 0;
        add(accepts);
        position = end;
        break;
      }
      case "<": {
        const end = closingBracket(definition, position, "<", ">");
        if (!previous || !(previous.isArray || previous.accepts === F))
          throw new ExpressionError({ code: "S0401", position });
        previous.subtype = definition.substring(position + 1, end);
        position = end;
        break;
      }
      default:
        break;
    }
  }
  return new CompiledSignature(definition, params, isFunction);
}

function closingBracket(text: string, start: number, open: string, close: string): number {
  let depth = 1;
  let position = start;
  while (position < text.length) {
    position += 1;
    const symbol = text.charAt(position);
    if (symbol === close) {
      depth -= 1;
      if (depth === 0) break;
    } else if (symbol === open) {
      depth += 1;
    }
  }
  return position;
}

class CompiledSignature implements Signature {
  /** Without `+`, an argument list as long as the parameters can only match positionally. */
  private readonly positional: boolean;
  private readonly wraps: boolean;

  constructor(
    readonly definition: string,
    private readonly params: Parameter[],
    private readonly isFunction: (value: unknown) => boolean,
  ) {
    this.positional = params.every((param) => !param.repeated);
    this.wraps = params.some((param) => param.isArray);
  }

  validate(args: readonly unknown[], context: unknown): unknown[] {
    const params = this.params;
    const count = params.length;
    if (this.positional && args.length === count) {
      let fits = true;
      for (let index = 0; index < count; index += 1) {
        if ((params[index]!.accepts & typeBit(args[index], this.isFunction)) === 0) {
          fits = false;
          break;
        }
      }
      if (fits) return this.wraps ? this.wrapArrays(args) : (args as unknown[]);
    }
    const types = args.map((arg) => typeBit(arg, this.isFunction));
    const taken = new Array<number>(count).fill(0);
    if (!this.match(types, 0, 0, taken, true)) throw this.mismatch(args, types);
    return this.arrange(args, types, taken, context);
  }

  private wrapArrays(args: readonly unknown[]): unknown[] {
    const result = args.slice();
    for (let index = 0; index < result.length; index += 1) {
      const param = this.params[index]!;
      if (param.isArray)
        result[index] = this.asArray(param, result[index], typeBit(result[index], this.isFunction), 1, index);
    }
    return result;
  }

  /** An `a` parameter's argument: a single value becomes a one-item array; `a<t>` checks the items. */
  private asArray(param: Parameter, arg: unknown, type: number, count: number, at: number): unknown {
    if (type === M) return undefined;
    if (param.subtype !== undefined && !this.itemsMatch(arg, type, count, param.subtype))
      throw new ExpressionError({
        code: "T0412",
        value: arg,
        index: at + 1,
        type: PLURALS[param.subtype] ?? param.subtype,
      });
    return type === A ? arg : [arg];
  }

  /** Backtracking match of parameters against argument types, in regular-expression order. */
  private match(types: number[], param: number, at: number, taken: number[], anchored: boolean): boolean {
    if (param === this.params.length) return !anchored || at === types.length;
    const { accepts, optional, repeated } = this.params[param]!;
    if (repeated) {
      let most = 0;
      while (at + most < types.length && (accepts & types[at + most]!) !== 0) most += 1;
      for (let count = most; count >= 1; count -= 1) {
        taken[param] = count;
        if (this.match(types, param + 1, at + count, taken, anchored)) return true;
      }
      if (!optional) return false;
    } else if (at < types.length && (accepts & types[at]!) !== 0) {
      taken[param] = 1;
      if (this.match(types, param + 1, at + 1, taken, anchored)) return true;
    }
    if (!optional) return false;
    taken[param] = 0;
    return this.match(types, param + 1, at, taken, anchored);
  }

  /** T0410 naming the first argument JSONata's prefix matching cannot place. */
  private mismatch(args: readonly unknown[], types: number[]): ExpressionError {
    let goodTo = 0;
    const taken = new Array<number>(this.params.length).fill(0);
    for (let prefix = 1; prefix <= this.params.length; prefix += 1) {
      const head = new CompiledSignature(this.definition, this.params.slice(0, prefix), this.isFunction);
      if (!head.match(types, 0, 0, taken, false)) break;
      goodTo = taken.slice(0, prefix).reduce((sum, count) => sum + count, 0);
    }
    return new ExpressionError({ code: "T0410", value: args[goodTo], index: goodTo + 1 });
  }

  private arrange(args: readonly unknown[], types: number[], taken: number[], context: unknown): unknown[] {
    const validated: unknown[] = [];
    let at = 0;
    this.params.forEach((param, index) => {
      const count = taken[index]!;
      if (count === 0) {
        if (param.contextAccepts !== undefined) {
          if ((param.contextAccepts & typeBit(context, this.isFunction)) === 0)
            throw new ExpressionError({ code: "T0411", value: context, index: at + 1 });
          validated.push(context);
        } else {
          // As JSONata does: an optional parameter left out still takes the next argument's slot.
          validated.push(args[at]);
          at += 1;
        }
        return;
      }
      for (let n = 0; n < count; n += 1) {
        const arg = args[at];
        validated.push(param.isArray ? this.asArray(param, arg, types[at]!, count, at) : arg);
        at += 1;
      }
    });
    return validated;
  }

  private itemsMatch(arg: unknown, type: number, count: number, subtype: string): boolean {
    if (type !== A) return count === 1 && typeLetter(type) === subtype;
    const items = arg as unknown[];
    if (items.length === 0) return true;
    const itemType = typeBit(items[0], this.isFunction);
    if (typeLetter(itemType) !== subtype.charAt(0)) return false;
    return items.every((item) => typeBit(item, this.isFunction) === itemType);
  }
}
