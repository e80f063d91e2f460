/**
 * The API the views use: the contract's `WardenApi`, reached through React context so that views never
 * know which bridge (Electron preload or HTTP) is underneath, and tests can pass a fake.
 */
import { createContext, useContext } from "react";
import type { WardenApi } from "../../shared/contract.js";

const ApiContext = createContext<WardenApi | null>(null);

export const ApiProvider = ApiContext.Provider;

/** The API of the surrounding `ApiProvider`. */
export function useApi(): WardenApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside ApiProvider");
  return api;
}
