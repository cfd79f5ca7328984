import { describe, expect, it } from "vitest";
import { compile } from "../compile-expression";
import { check } from "./check-expression";
import { fieldLineage } from "./field-lineage";
import { inputPaths } from "./input-paths";

describe("inputPaths", () => {
  it.each([
    { expr: "data.tenant", paths: ["data.tenant"] },
    { expr: "data.calls * 2 + data.bonus", paths: ["data.calls", "data.bonus"] },
    { expr: "data.items[price > 2].name", paths: ["data.items.price", "data.items.name"] },
    { expr: 'data.items.{ "amount": price * qty }', paths: ["data.items.price", "data.items.qty"] },
    { expr: "$sum(data.items.(price * qty))", paths: ["data.items.price", "data.items.qty"] },
    { expr: "$map(data.items, function($v) { $v.sku })", paths: ["data.items", "data.items.sku"] },
    { expr: "$reduce(data.items, function($acc, $i) { $acc + $i.qty }, 0)", paths: ["data.items", "data.items.qty"] },
    { expr: "($d := data; $d.tenant & $d.region)", paths: ["data", "data.tenant", "data.region"] },
    { expr: "$$.source & '/' & id", paths: ["source", "id"] },
    { expr: "$lookup(data, 'tenant')", paths: ["data", "data.tenant"] },
    { expr: "data.region = 'eu' ? data.euPrice : data.price", paths: ["data.region", "data.euPrice", "data.price"] },
    { expr: '"constant"', paths: [] },
    { expr: "$now()", paths: [] },
  ])("$expr reads $paths", ({ expr, paths }) => {
    expect(inputPaths(expr)).toEqual(paths);
  });

  it("accepts a compiled expression", () => {
    expect(inputPaths(compile("data.tenant"))).toEqual(["data.tenant"]);
  });
});

describe("fieldLineage", () => {
  it("gives each output field its inputs and the kind of transformation", () => {
    const lineage = fieldLineage(`{
      "tenantId": data.tenantId,
      "metric": "api_calls",
      "period": $substring(time, 0, 7),
      "total": $sum(data.items.(price * qty)),
      "eu": data.region = "eu" ? data.calls : 0,
      "big": data.items[qty > 10].sku,
      "root": $$.source
    }`);
    expect(lineage).toEqual([
      { field: "tenantId", inputs: ["data.tenantId"], kind: "direct" },
      { field: "metric", inputs: [], kind: "constant" },
      { field: "period", inputs: ["time"], kind: "transformation" },
      { field: "total", inputs: ["data.items.price", "data.items.qty"], kind: "aggregation" },
      { field: "eu", inputs: ["data.region", "data.calls"], kind: "filter" },
      { field: "big", inputs: ["data.items.qty", "data.items.sku"], kind: "filter" },
      { field: "root", inputs: ["source"], kind: "direct" },
    ]);
  });

  it("refuses expressions that are not object constructors, saying what it needs", () => {
    expect(() => fieldLineage("data.tenant")).toThrow(/needs an object constructor mapping/);
  });
});

describe("check against the input schema", () => {
  const schema = {
    type: "object",
    properties: {
      id: { type: "string" },
      time: { type: "string" },
      data: {
        type: "object",
        additionalProperties: false,
        properties: {
          tenantId: { type: "string" },
          calls: { type: "integer" },
          price: { type: "string" },
          items: {
            type: "array",
            items: { type: "object", properties: { qty: { type: "number" }, sku: { type: "string" } } },
          },
          extra: { type: "object" },
        },
      },
    },
  };

  it("accepts a well-typed mapping", () => {
    expect(
      check(
        '{ "t": data.tenantId, "q": data.calls * 2, "n": $sum(data.items.qty), "p": $substring(time, 0, 7), "x": data.extra.anything }',
        schema,
      ),
    ).toEqual([]);
  });

  it("reports paths the schema does not have, with the fields it does have", () => {
    const problems = check("data.tenant & data.items.sku & data.items.colour", schema);
    expect(problems).toEqual([
      expect.objectContaining({
        code: "unknown_path",
        severity: "error",
        path: "data.tenant",
        message: expect.stringContaining('data has "tenantId", "calls"'),
      }),
      expect.objectContaining({ code: "unknown_path", severity: "warning", path: "data.items.colour" }),
    ]);
  });

  it("reports arithmetic on string fields and string functions on numbers", () => {
    const problems = check(
      '{ "a": data.price * 2, "b": $uppercase(data.calls), "c": $sum(data.items.sku), "d": data.calls > "10" }',
      schema,
    );
    expect(problems.map((problem) => [problem.code, problem.path])).toEqual([
      ["type_mismatch", "data.price"],
      ["type_mismatch", "data.calls"],
      ["type_mismatch", "data.items.sku"],
      ["type_mismatch", "data.calls"],
    ]);
    expect(problems[0]!.message).toBe(
      'Arithmetic (*) on the string field "data.price"; convert it with $number(data.price)',
    );
  });
});
