/** Renders a view inside the API provider, for component tests (rerender keeps the provider). */
import { render } from "@testing-library/react";
import type { ReactElement, ReactNode } from "react";
import { ApiProvider } from "../../renderer/src/api.js";
import type { WardenApi } from "../../shared/contract.js";

export function renderWithApi(api: WardenApi, ui: ReactElement) {
  return render(ui, {
    wrapper: ({ children }: { children: ReactNode }) => <ApiProvider value={api}>{children}</ApiProvider>,
  });
}
