/** Hash routes: the views, and `#/approval`, the prompt alone (the Electron app's small window). */
import { useEffect, useState } from "react";

export const VIEWS = ["calls", "approvals", "policy", "servers"] as const;
export type View = (typeof VIEWS)[number];
export type Route = { kind: "view"; view: View } | { kind: "approval-window" };

export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, "");
  if (name === "approval") return { kind: "approval-window" };
  const view = VIEWS.find((v) => v === name);
  return { kind: "view", view: view ?? "calls" };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
