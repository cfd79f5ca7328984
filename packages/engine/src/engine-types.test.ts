import { describe, expect, it } from "vitest";
import { eventIdsIn, eventKey } from "./engine-types";

describe("event keys", () => {
  it("yield every id the key may hold, since a source may contain '#'", () => {
    expect(eventIdsIn(eventKey({ source: "/gateway", id: "a1" }))).toEqual(["a1"]);
    const key = eventKey({ source: "urn:meter#eu", id: "x#1" });
    expect(eventIdsIn(key)).toEqual(["eu#x#1", "x#1", "1"]);
    expect(eventIdsIn(key)).toContain("x#1");
  });
});
