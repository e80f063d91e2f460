/**
 * Applies the tray model to a real tray: the icon, the tooltip and the context menu. It re-renders only
 * when the model changed. Menu clicks run their command synchronously, so toggling Deny all has reached
 * the core before the click handler returns (and so before the menu has closed).
 *
 * Where Linux uses an app indicator, clicks on the icon itself are ignored and changes show only after
 * setContextMenu is called again (Electron's tray docs, "Platform limitations":
 * https://github.com/electron/electron/blob/main/docs/api/tray.md), so the menu always holds every
 * entry and every render sets it anew.
 */
import type { MenuItemConstructorOptions } from "electron";
import {
  sameModel,
  type TrayCommand,
  type TrayIconName,
  type TrayMenuItem,
  type TrayModel,
  type TrayState,
  trayModel,
} from "./tray-model.js";

/** The part of Electron's `Tray` the view uses (`M` is Electron's `Menu` in the app). */
export interface TrayTarget<M> {
  setImage(image: string): void;
  setToolTip(toolTip: string): void;
  setContextMenu(menu: M | null): void;
}

/** What each menu command does; `checked` is the checkbox's new state for checkbox entries. */
export type TrayCommands = { [C in TrayCommand]: (checked: boolean) => void };

export interface TrayViewOptions<M> {
  tray: TrayTarget<M>;
  /** `Menu.buildFromTemplate` in the app. */
  buildMenu: (template: MenuItemConstructorOptions[]) => M;
  /** The icon file for a state (see tray-icons.ts). */
  iconPath: (icon: TrayIconName) => string;
  commands: TrayCommands;
}

/** Electron menu template entries for the model's items. */
export function menuTemplate(
  items: readonly TrayMenuItem[],
  run: (command: TrayCommand, checked: boolean) => void,
): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    if (item.kind === "separator") return { type: "separator" };
    if (item.kind === "status") return { label: item.label, enabled: false };
    if (item.kind === "action") {
      return { id: item.command, label: item.label, click: () => run(item.command, false) };
    }
    return {
      id: item.command,
      type: "checkbox",
      label: item.label,
      checked: item.checked,
      // Electron flips `checked` before calling click: it is the state the user asked for.
      click: (menuItem) => run(item.command, menuItem.checked),
    };
  });
}

/** The tray, rendered from state. */
export class TrayView<M> {
  readonly #options: TrayViewOptions<M>;
  #model: TrayModel | undefined;
  #icon: TrayIconName | undefined;

  constructor(options: TrayViewOptions<M>) {
    this.#options = options;
  }

  /** The model on display. */
  get model(): TrayModel | undefined {
    return this.#model;
  }

  /** Shows `state`; returns false (and touches nothing) when the tray already shows it. */
  render(state: TrayState): boolean {
    const model = trayModel(state);
    if (sameModel(this.#model, model)) return false;
    this.#model = model;
    const { tray, buildMenu, iconPath, commands } = this.#options;
    if (model.icon !== this.#icon) {
      tray.setImage(iconPath(model.icon));
      this.#icon = model.icon;
    }
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(
      buildMenu(menuTemplate(model.items, (command, checked) => commands[command](checked))),
    );
    return true;
  }
}
