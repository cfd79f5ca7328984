import { RE2JS } from "re2js";
import type { Frame, Runtime } from "./evaluation-runtime";
import { ExpressionError } from "./expression-error";
import { invokeProcedure, isCallable, Procedure } from "./procedure";

/** One match, as JSONata's matcher functions return it; `next` finds the following one. */
export interface MatchResult {
  match: string;
  start: number;
  end: number;
  groups: (string | undefined)[];
  next: () => MatchResult | undefined;
}

/**
 * Compiles a regex literal for RE2's linear-time engine, so no pattern can make an evaluation
 * backtrack for ever (the time budget cannot interrupt a regular-expression match). Patterns
 * that need backtracking (backreferences, lookarounds) fail here, when the expression is saved.
 */
export function compileRegex(regex: RegExp): RE2JS {
  let flags = 0;
  if (regex.flags.includes("i")) flags |= RE2JS.CASE_INSENSITIVE;
  if (regex.flags.includes("m")) flags |= RE2JS.MULTILINE;
  try {
    return RE2JS.compile(RE2JS.translateRegExp(regex.source), flags);
  } catch (error) {
    throw new ExpressionError({
      code: "S0303",
      value: `/${regex.source}/`,
      detail: `${error instanceof Error ? error.message : String(error)} (patterns run in linear time: backreferences and lookarounds are not available)`,
    });
  }
}

/** A regex literal's value: a function from a string to its first match (JSONata's matcher protocol). */
export class RegexProcedure extends Procedure {
  readonly #pattern: RE2JS;
  readonly #source: string;

  constructor(pattern: RE2JS, source: string) {
    super();
    this.#pattern = pattern;
    this.#source = source;
  }

  arity(): number {
    return 2;
  }

  call(args: unknown[]): unknown {
    const text = args[0];
    if (typeof text !== "string") return undefined;
    return this.find(text, typeof args[1] === "number" ? args[1] : 0);
  }

  find(text: string, from: number): MatchResult | undefined {
    if (from > text.length) return undefined;
    const matcher = this.#pattern.matcher(text);
    if (!matcher.find(from)) return undefined;
    const start = matcher.start();
    const end = matcher.end();
    const groups: (string | undefined)[] = [];
    for (let group = 1; group <= matcher.groupCount(); group += 1) groups.push(matcher.group(group) ?? undefined);
    return {
      match: text.substring(start, end),
      start,
      end,
      groups,
      next: () => {
        if (end >= text.length) return undefined;
        const next = this.find(text, end);
        // A pattern that matches the empty string would never move on.
        if (next && next.match === "") throw new ExpressionError({ code: "D1004", value: this.#source });
        return next;
      },
    };
  }
}

/**
 * Calls a matcher (a regex, or a function following the same protocol) and checks what it
 * returned; `undefined` means no (more) matches.
 */
export function callMatcher(
  matcher: unknown,
  text: string | undefined,
  runtime: Runtime,
  frame: Frame,
): MatchResult | undefined {
  runtime.tick();
  const result = invokeProcedure(matcher, [text], runtime, undefined, frame) as Partial<MatchResult> | undefined;
  if (result && !(typeof result.start === "number" || Array.isArray(result.groups) || isCallable(result.next))) {
    throw new ExpressionError({ code: "T1010" });
  }
  return (result ?? undefined) as MatchResult | undefined;
}

/** The match after `current`, through its `next` function. */
export function nextMatch(current: MatchResult, runtime: Runtime, frame: Frame): MatchResult | undefined {
  return callMatcher(current.next, undefined, runtime, frame);
}
