/** Renders a view inside the API provider, for component tests (rerender keeps the provider). */
import { render } from "@testing-library/react";
import type { ReactElement, ReactNode } from "react";
import { ApiProvider, type UiApi } from "../../renderer/src/api.js";

export function renderWithApi(api: UiApi, ui: ReactElement) {
  return render(ui, {
    wrapper: ({ children }: { children: ReactNode }) => <ApiProvider value={api}>{children}</ApiProvider>,
  });
}
