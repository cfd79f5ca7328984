import fc from "fast-check";
import jsonata from "jsonata";
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
    fc.tuple(path, fc.oneof(fc.integer({ min: -2, max: 3 }).map(String), fc.tuple(fieldName, fc.constantFrom(">", "=", "<", "!="), literal).map(([f, op, v]) => `${f} ${op} ${v}`))).map(([p, pred]) => `${p}[${pred}]`),
    fc.tuple(tie("expr"), fc.constantFrom("+", "-", "*", "/", "%", "=", "!=", "<", ">=", "and", "or", "&", "in"), tie("expr")).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, t, e]) => `(${c} ? ${t} : ${e})`),
    fc.tuple(fieldName, tie("expr"), fieldName, tie("expr")).map(([k1, v1, k2, v2]) => `{ "${k1}": ${v1}, "${k2}_": ${v2} }`),
    fc.array(tie("expr"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    tie("expr").map((e) => `-${e}`),
    // Function calls with arguments of the right types; misuse error codes (T0410 vs T0411,
    // the reference's context-argument rules) still differ and are an open item.
    fc.tuple(fc.constantFrom("string", "boolean", "exists", "not"), tie("expr")).map(([fn, arg]) => `$${fn}(${arg})`),
    fc.tuple(fc.constantFrom("uppercase", "lowercase", "trim", "length"), tie("expr")).map(([fn, arg]) => `$${fn}($string(${arg}))`),
    fc.tuple(fc.constantFrom("count", "distinct", "keys"), path).map(([fn, arg]) => `$${fn}(${arg})`),
    fc.tuple(tie("expr"), fc.integer({ min: -3, max: 5 }), fc.integer({ min: -1, max: 4 })).map(([text, start, length]) => `$substring($string(${text}), ${start}, ${length})`),
    fc.tuple(tie("expr"), fc.constantFrom('","', '"a"', '"x"')).map(([text, token]) => `$contains($string(${text}), ${token})`),
    // $map/$filter with lambdas are in the table tests only: the compiled path still differs
    // from the reference on sequences returned from inside nested lambdas (an open item).
    fc.tuple(tie("expr"), tie("expr")).map(([value, body]) => `($t := ${value}; ${body} & $t)`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `${p}.(${body})`),
  ),
})).expr;

const leaf = fc.oneof(fc.integer({ min: -10, max: 10 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -100, max: 100 }), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
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
        expect(outcome(() => compiled.evaluate(data)), source).toBe(outcome(() => jsonata(source).evaluate(data)));
      }),
      { numRuns: 400, endOnFailure: true, seed: Number(process.env.FC_SEED ?? 20261124) },
    );
    // The generator is built from supported constructs, so most runs exercise the compiler.
    expect(compiledCount).toBeGreaterThan(300);
  });
});
