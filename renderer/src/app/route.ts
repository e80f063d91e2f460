/**
 * Hash routes: the views, and `#/approval`, the prompt alone (the Electron app's approval window, opened as
 * `index.html?approval=<id>#/approval` with the request to show first in the query).
 */
import { useEffect, useState } from "react";

export const VIEWS = ["calls", "approvals", "policy", "servers"] as const;
export type View = (typeof VIEWS)[number];
export type Route = { kind: "view"; view: View } | { kind: "approval-window"; first?: string };

export function parseRoute(hash: string, search = ""): Route {
  const name = hash.replace(/^#\/?/, "");
  if (name === "approval") {
    const first = new URLSearchParams(search).get("approval");
    return first ? { kind: "approval-window", first } : { kind: "approval-window" };
  }
  const view = VIEWS.find((v) => v === name);
  return { kind: "view", view: view ?? "calls" };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash, window.location.search));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash, window.location.search));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
