import { describe, expect, it } from "vitest";
import { builtins } from "./builtin-functions";
import { compile } from "./compile-expression";
import { functionCatalog } from "./function-catalog";

describe("functionCatalog", () => {
  it("lists exactly the functions expressions can call, each callable by its documented name", () => {
    expect(functionCatalog.map((entry) => entry.name).sort()).toEqual([...builtins.keys()].sort());
    expect(compile(`$decimalAdd("1.10", "2.20")`).evaluate({})).toBe("3.3");
    for (const entry of functionCatalog) expect(entry.signature.startsWith(`$${entry.name}(`)).toBe(true);
  });
});
