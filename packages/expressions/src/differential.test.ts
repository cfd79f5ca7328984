import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";

/**
 * Generated expressions over generated inputs: the compiled path and the reference evaluator
 * must agree on every value, and on the error code when both fail.
 */
const fieldName = fc.constantFrom("a", "b", "c", "n", "s", "xs");
const literal = fc.oneof(
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.constantFrom('"x"', '"a,b"', '""', "true", "false", "null", "0.5", "[]", "[1, 2]"),
);
const path = fc.array(fieldName, { minLength: 1, maxLength: 3 }).map((names) => names.join("."));

const expression: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal,
    path,
    path,
    fc
      .tuple(
        path,
        fc.oneof(
          fc.integer({ min: -2, max: 3 }).map(String),
          fc.tuple(fieldName, fc.constantFrom(">", "=", "<", "!="), literal).map(([f, op, v]) => `${f} ${op} ${v}`),
        ),
      )
      .map(([p, pred]) => `${p}[${pred}]`),
    fc
      .tuple(
        tie("expr"),
        fc.constantFrom("+", "-", "*", "/", "%", "=", "!=", "<", ">=", "and", "or", "&", "in"),
        tie("expr"),
      )
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, t, e]) => `(${c} ? ${t} : ${e})`),
    fc
      .tuple(fieldName, tie("expr"), fieldName, tie("expr"))
      .map(([k1, v1, k2, v2]) => `{ "${k1}": ${v1}, "${k2}_": ${v2} }`),
    fc.array(tie("expr"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    tie("expr").map((e) => `-${e}`),
    fc
      .tuple(
        fc.constantFrom(
          "string",
          "number",
          "boolean",
          "exists",
          "uppercase",
          "lowercase",
          "trim",
          "length",
          "sum",
          "count",
          "max",
          "min",
          "average",
          "floor",
          "ceil",
          "abs",
          "round",
          "keys",
          "distinct",
          "not",
        ),
        tie("expr"),
      )
      .map(([fn, arg]) => `$${fn}(${arg})`),
    fc
      .tuple(
        fc.constantFrom(
          "substring",
          "substringBefore",
          "substringAfter",
          "contains",
          "split",
          "join",
          "append",
          "round",
          "lookup",
          "decimalAdd",
          "decimalMul",
        ),
        tie("expr"),
        tie("expr"),
      )
      .map(([fn, a, b]) => `$${fn}(${a}, ${b})`),
    fc
      .tuple(tie("expr"), fc.integer({ min: -3, max: 5 }), fc.integer({ min: -1, max: 4 }))
      .map(([text, start, length]) => `$substring($string(${text}), ${start}, ${length})`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `$map(${p}, function($v) { ${body.replace(/\ba\b/g, "$v")} })`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `$filter(${p}, function($v, $i) { ${body} })`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `$reduce(${p}, function($acc, $v) { ${body} & $acc })`),
    fc.tuple(tie("expr"), tie("expr")).map(([value, body]) => `($t := ${value}; ${body} & $t)`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `${p}.(${body})`),
  ),
})).expr;

const leaf = fc.oneof(
  fc.integer({ min: -10, max: 10 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }),
  fc.string({ maxLength: 4 }),
  fc.boolean(),
  fc.constant(null),
);
const input: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    leaf,
    fc.dictionary(fieldName, tie("value"), { maxKeys: 5 }),
    fc.array(tie("value"), { maxLength: 3 }),
  ),
})).value;

function outcome(run: () => unknown): string {
  try {
    return `value ${JSON.stringify(run())}`;
  } catch (error) {
    return `error ${(error as { code?: string }).code ?? "?"}`;
  }
}

describe("compiled path vs reference evaluator (differential)", () => {
  it("agree on generated expressions and inputs", () => {
    let compiledCount = 0;
    fc.assert(
      fc.property(expression, input, (source, data) => {
        let compiled;
        try {
          compiled = compile(source);
        } catch {
          return; // a generated syntax error is the parser's business, shared by both paths
        }
        if (compiled.mode === "compiled") compiledCount += 1;
        const reference = compile(source, { referenceOnly: true });
        expect(
          outcome(() => compiled.evaluate(data)),
          source,
        ).toBe(outcome(() => reference.evaluate(data)));
      }),
      { numRuns: 1500, endOnFailure: true, seed: Number(process.env.FC_SEED ?? 20261124) },
    );
    // The generator is built from supported constructs, so most runs exercise the compiler.
    expect(compiledCount).toBeGreaterThan(1100);
  });
});
