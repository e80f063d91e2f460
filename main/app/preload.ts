/**
 * The sandboxed preload (bundled into one CommonJS file, out/preload/preload.cjs): exposes the contract
 * as `window.warden` through contextBridge, and nothing else — never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from "electron";
import { exposeWardenApi } from "./preload-api.js";

// SECURITY: the renderer gets one function per contract method and `on`, not ipcRenderer.
exposeWardenApi(contextBridge, ipcRenderer);
