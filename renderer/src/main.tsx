/** Entry point: picks the bridge (Electron preload or HTTP) and renders the UI. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.js";
import { pickBridge } from "./bridge/index.js";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
const mount = root;
void pickBridge(window).then((bridge) =>
  createRoot(mount).render(
    <StrictMode>
      <App bridge={bridge} />
    </StrictMode>,
  ),
);
