import { describe, expect, it } from "vitest";
import {
  budgetOf,
  checkEntityBudgets,
  DEFAULT_ENTITY_BUDGETS,
  ENTITY_TYPES,
  entityBudgets,
} from "../src/config-rate-limits.js";

describe("per-entity-type rate-limit budgets", () => {
  it("knows every entity type of the protocol", () => {
    expect([...ENTITY_TYPES]).toEqual(["human", "bot", "agent", "service", "device"]);
    expect(Object.keys(DEFAULT_ENTITY_BUDGETS).sort()).toEqual([...ENTITY_TYPES].sort());
  });

  it("defaults: bots and services the most, agents and devices a quarter of that, humans a tenth", () => {
    expect(entityBudgets({})).toEqual(DEFAULT_ENTITY_BUDGETS);
    expect(DEFAULT_ENTITY_BUDGETS.bot).toEqual({ max: 120_000, bytes: 1024 ** 3 });
    expect(DEFAULT_ENTITY_BUDGETS.human.max).toBe(12_000);
    expect(DEFAULT_ENTITY_BUDGETS.agent.max).toBe(30_000);
  });

  it("a type's own setting wins over the all-accounts one, which wins over the type's default", () => {
    const budgets = entityBudgets({
      accountMax: 7,
      entityTypes: { bot: { max: 3 }, device: { bytes: 100 } },
    });
    expect(budgets.bot).toEqual({ max: 3, bytes: DEFAULT_ENTITY_BUDGETS.bot.bytes });
    expect(budgets.human).toEqual({ max: 7, bytes: DEFAULT_ENTITY_BUDGETS.human.bytes });
    expect(budgets.device).toEqual({ max: 7, bytes: 100 });
    expect(entityBudgets({ accountBytesMax: 9 }).service).toEqual({ max: 120_000, bytes: 9 });
  });

  it("an entity type the server does not know gets the human budget", () => {
    const budgets = entityBudgets({ entityTypes: { human: { max: 2 } } });
    expect(budgetOf(budgets, "robot")).toBe(budgets.human);
    expect(budgetOf(budgets, "bot")).toBe(budgets.bot);
  });

  it("refuses an unknown entity type or an out-of-range budget with VOLLY_E_USAGE", () => {
    const usage = expect.objectContaining({ code: "VOLLY_E_USAGE" });
    expect(() => checkEntityBudgets({ robot: { max: 1 } })).toThrow(usage);
    expect(() => checkEntityBudgets({ bot: { max: 0 } })).toThrow(usage);
    expect(() => checkEntityBudgets({ bot: { bytes: 1.5 } })).toThrow(usage);
    expect(() => checkEntityBudgets([])).toThrow(usage);
    expect(checkEntityBudgets({ bot: { max: 1 }, agent: {} })).toEqual({ bot: { max: 1 }, agent: {} });
  });
});
