/** Entry point: picks the bridge (Electron preload or HTTP) and renders the UI. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.js";
import { pickBridge } from "./bridge/index.js";
import "./styles.css";

const bridge = pickBridge(window);
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App bridge={bridge} />
  </StrictMode>,
);
