import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { shareSerialization, transformer } from "../src/transformer.js";

describe("transformer", () => {
  it("serialises a shared object once and gives every stream the same result", () => {
    const event = shareSerialization({ type: "logs", lines: [{ seq: 1, at: new Date(5), line: "x" }] });
    const first = transformer.serialize(event);
    expect(transformer.serialize(event)).toBe(first);
    expect(transformer.deserialize(first)).toEqual(event);
  });

  it("serialises anything else afresh, exactly like superjson", () => {
    const value = { at: new Date(7), tags: new Set(["a"]) };
    const first = transformer.serialize(value);
    expect(first).toEqual(superjson.serialize(value));
    expect(transformer.serialize(value)).not.toBe(first);
    expect(transformer.serialize(null)).toEqual(superjson.serialize(null));
  });
});
