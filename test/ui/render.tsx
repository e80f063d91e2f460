/** Renders a view inside the API provider, for component tests (rerender keeps the provider). */
import { configure, render } from "@testing-library/react";
import type { ReactElement, ReactNode } from "react";
import { ApiProvider } from "../../renderer/src/api.js";
import type { WardenApi } from "../../shared/contract.js";

// Waiting for what the view will show (findBy…, waitFor) allows 5 s, not 1: the views render thousands of rows,
// and CI runs two suites' worth of processes on two cores. A wait still ends as soon as the text is there.
configure({ asyncUtilTimeout: 5_000 });

export function renderWithApi(api: WardenApi, ui: ReactElement) {
  return render(ui, {
    wrapper: ({ children }: { children: ReactNode }) => <ApiProvider value={api}>{children}</ApiProvider>,
  });
}
