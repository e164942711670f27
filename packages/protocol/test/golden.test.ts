import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AGENT_MESSAGE_TYPES,
  type AgentMessage,
  createAgentMessage,
  createServerMessage,
  JOB_KINDS,
  parseAgentMessage,
  parseServerMessage,
  SERVER_MESSAGE_TYPES,
  type ServerMessage,
  ZEnrollError,
  ZEnrollRequest,
  ZEnrollResponse,
} from "../src/index.js";

// Fixture names: "<direction>.<message type>[.<variant>].json", direction = agent | server | http.
const fixturesDir = join(import.meta.dirname, "fixtures");
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, raw: readFileSync(join(fixturesDir, file), "utf8") }));
const byDirection = (direction: string) => fixtures.filter((f) => f.file.startsWith(`${direction}.`));

const reserialiseAgent = (m: AgentMessage) => createAgentMessage(m.type, m.payload as never) as string;
const reserialiseServer = (m: ServerMessage) => createServerMessage(m.type, m.payload as never) as string;

describe("golden fixtures: agent -> server", () => {
  it.each(byDirection("agent"))("$file parses and re-serialises to the same JSON", ({ file, raw }) => {
    const result = parseAgentMessage(raw);
    if (!result.ok) throw new Error(`${file}: ${result.reason}: ${result.detail}`);
    expect(file.startsWith(`agent.${result.message.type}.`)).toBe(true);
    expect(JSON.parse(reserialiseAgent(result.message))).toEqual(JSON.parse(raw));
    // Byte-level too: field order is part of what the fixture pins.
    expect(reserialiseAgent(result.message)).toBe(JSON.stringify(JSON.parse(raw)));
  });

  it("the server parser refuses agent-only messages", () => {
    for (const { file, raw } of byDirection("agent")) {
      const type = JSON.parse(raw).type as string;
      if (SERVER_MESSAGE_TYPES.includes(type as never)) continue;
      const result = parseServerMessage(raw);
      expect(result.ok, file).toBe(false);
      if (!result.ok) expect(result.reason).toBe("unknown_type");
    }
  });
});

describe("golden fixtures: server -> agent", () => {
  it.each(byDirection("server"))("$file parses and re-serialises to the same JSON", ({ file, raw }) => {
    const result = parseServerMessage(raw);
    if (!result.ok) throw new Error(`${file}: ${result.reason}: ${result.detail}`);
    expect(file.startsWith(`server.${result.message.type}.`)).toBe(true);
    expect(reserialiseServer(result.message)).toBe(JSON.stringify(JSON.parse(raw)));
  });
});

describe("golden fixtures: HTTP enrolment", () => {
  const cases = [
    ["http.enroll.request.json", ZEnrollRequest],
    ["http.enroll.response.json", ZEnrollResponse],
    ["http.enroll.error.json", ZEnrollError],
  ] as const;
  it.each(cases)("%s matches its schema exactly", (file, schema) => {
    const raw = readFileSync(join(fixturesDir, file), "utf8");
    const parsed = schema.parse(JSON.parse(raw));
    expect(JSON.stringify(parsed)).toBe(JSON.stringify(JSON.parse(raw)));
  });

  it("an empty token has a message the agent can print", () => {
    const result = ZEnrollRequest.safeParse({
      token: "   ",
      hostname: "h",
      os: "linux",
      arch: "x64",
      agentVersion: "1",
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("the enrolment token is empty");
  });
});

describe("fixture coverage", () => {
  const names = fixtures.map((f) => f.file);
  it.each(AGENT_MESSAGE_TYPES)("agent message %s has a fixture", (type) => {
    expect(names.some((n) => n.startsWith(`agent.${type}.`))).toBe(true);
  });
  it.each(SERVER_MESSAGE_TYPES)("server message %s has a fixture", (type) => {
    expect(names.some((n) => n.startsWith(`server.${type}.`))).toBe(true);
  });
  it.each(JOB_KINDS)("command.run kind %s has a fixture", (kind) => {
    expect(names).toContain(`server.command.run.${kind}.json`);
  });
});
