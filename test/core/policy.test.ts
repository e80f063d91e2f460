/**
 * The policy engine: loading (validation errors with JSON paths), the decision order in DESIGN.md, limits
 * and their scopes, operations, and the JSON Schema document editors use.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../main/core/limits.js" with { "resolution-mode": "import" };
import { RateLimiter } from "../../main/core/limits.js";
import {
  type CompiledPolicy,
  DEFAULT_APPROVAL_TIMEOUT_MS,
  loadPolicy,
  loadPolicyValue,
} from "../../main/core/policy/compile.js";
import {
  type DecideContext,
  type DecisionWithCounts,
  decide,
  type LimitView,
  operationsOf,
  type PolicyCall,
} from "../../main/core/policy/decide.js";
import { type PolicyInput, policyJsonSchema } from "../../shared/policy-schema.js";
