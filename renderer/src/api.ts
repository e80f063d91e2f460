/**
 * The API the views use: the contract's `WardenApi`, reached through React context so that views never
 * know which bridge (Electron preload or HTTP) is underneath, and tests can pass a fake.
 */
import { createContext, useContext } from "react";
import type { CallRecord, Decision, WardenApi } from "../../shared/contract.js";
import type { PolicyError } from "../../shared/policy-schema.js";

/** One recorded call whose decision an edited policy would change. */
export interface ReplayChange {
  call: CallRecord;
  before: Decision["verdict"];
  after: Decision["verdict"];
  /** The rule of the edited policy that decides the call. */
  rule: string;
}

/** What replaying an edited policy over the recorded calls found. */
export interface ReplayResult {
  changed: ReplayChange[];
  /** How many recorded calls were replayed. */
  total: number;
  errors: PolicyError[];
}

/**
 * `replay` is not in the contract yet (asked of the core): when a bridge has it the policy editor uses it,
 * otherwise it replays with one `dryRun` per distinct call.
 */
export type UiApi = WardenApi & {
  replay?: (params: { policy: string; limit?: number }) => Promise<ReplayResult>;
};

const ApiContext = createContext<UiApi | null>(null);

export const ApiProvider = ApiContext.Provider;

/** The API of the surrounding `ApiProvider`. */
export function useApi(): UiApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}
