import fc from "fast-check";
import jsonata from "jsonata";
import { describe, expect, it } from "vitest";
import { compile } from "./compile-expression";
import type { AstNode } from "./jsonata-ast";

/**
 * Generated expressions over generated inputs: the compiled path and the reference evaluator
 * (jsonata 2.x) must agree on every value, and on the error code when both fail.
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
          "pad",
          "formatBase",
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
    fc.tuple(tie("expr"), fc.constantFrom("??", "?:"), tie("expr")).map(([l, op, r]) => `(${l} ${op} ${r})`),
    fc.tuple(path, fieldName, fc.constantFrom("<", ">")).map(([p, key, order]) => `${p}^(${order}${key})`),
    fc.tuple(path, fieldName, tie("expr")).map(([p, key, value]) => `${p}{ ${key}: ${value} }`),
    fc.tuple(path, tie("expr")).map(([p, body]) => `${p}#$i.(${body} & $i)`),
    path.map((p) => `${p}[]`),
    path.map((p) => `${p}.*`),
    fc.tuple(fc.integer({ min: -2, max: 3 }), fc.integer({ min: -1, max: 5 })).map(([from, to]) => `[${from}..${to}]`),
    fc
      .tuple(tie("expr"), fc.constantFrom("/a/", "/[0-9]+/", "/^x/i"))
      .map(([text, regex]) => `$match($string(${text}), ${regex}).match`),
    fc
      .tuple(path, fc.constantFrom("$string", "$uppercase", "$boolean", "$exists"))
      .map(([p, fn]) => `$map(${p}, ${fn})`),
    fc
      .tuple(tie("expr"), fc.constantFrom("'#,##0.00'", "'0.0e0'", "'000'"))
      .map(([n, picture]) => `$formatNumber(${n}, ${picture})`),
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

/**
 * The reference evaluates the entries of array and object constructors concurrently (Promise.all),
 * so when two entries fail, which error it reports depends on its scheduling.
 */
function hasConcurrentEntries(ast: unknown): boolean {
  if (ast === null || typeof ast !== "object") return false;
  if (Array.isArray(ast)) return ast.some(hasConcurrentEntries);
  const node = ast as AstNode;
  if (
    node.type === "unary" &&
    ((node.expressions?.length ?? 0) > 1 || ((node.lhs as unknown[] | undefined)?.length ?? 0) > 1)
  )
    return true;
  if ((node.group?.lhs.length ?? 0) > 1) return true;
  return Object.entries(node).some(([key, value]) => key !== "value" && hasConcurrentEntries(value));
}

async function outcome(run: () => unknown): Promise<string> {
  try {
    return `value ${JSON.stringify(await run())}`;
  } catch (error) {
    return `error ${(error as { code?: string }).code ?? "?"}`;
  }
}

describe("compiled path vs reference evaluator (differential)", () => {
  it("agree on generated expressions and inputs", async () => {
    let evaluated = 0;
    await fc.assert(
      fc.asyncProperty(expression, input, async (source, data) => {
        let compiled: ReturnType<typeof compile>;
        try {
          compiled = compile(source);
        } catch {
          return; // a generated syntax error is the parser's business, shared by both paths
        }
        const expected = await outcome(() => jsonata(source).evaluate(data));
        // A reference failure without a code is a crash of jsonata itself (a TypeError inside a
        // builtin): nothing to agree with. The compiled path raises a coded error there.
        if (expected === "error ?") return;
        evaluated += 1;
        const actual = await outcome(() => compiled.evaluate(data));
        if (actual.startsWith("error") && expected.startsWith("error") && hasConcurrentEntries(compiled.ast)) return;
        expect(actual, source).toBe(expected);
      }),
      { numRuns: 1500, endOnFailure: true, seed: Number(process.env.FC_SEED ?? 20261124) },
    );
    // The generator writes valid expressions, so nearly every run compares two evaluations.
    expect(evaluated).toBeGreaterThan(1400);
  });
});
