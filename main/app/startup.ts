/**
 * The tray app's start, in the order a user sees it: the tray at once in a "starting" state, then the
 * login shell's PATH, the core (which listens at once; servers connect in the background) and the full
 * tray. A second launch or a Quit that arrives meanwhile is kept until the app is up, then honoured.
 */
import type { MenuItemConstructorOptions } from "electron";
import { menuTemplate, type TrayTarget } from "./tray.js";
import { startingModel, type TrayIconName } from "./tray-model.js";

/** What the started app offers the start-up: the window a second launch opens, and the shutdown. */
export interface StartedApp {
  openLiveCalls(): void;
  shutdown(): Promise<void>;
}

/** The tray to show at once, how to draw it, and the start behind it. */
export interface StartupOptions<M, A extends StartedApp> {
  tray: TrayTarget<M> & { destroy(): void };
  buildMenu: (template: MenuItemConstructorOptions[]) => M;
  iconPath: (icon: TrayIconName) => string;
  /** Asks the app to quit (`app.quit()`); the app then calls `shutdown()`. */
  quit: () => void;
  /** Everything that takes time: PATH, core, tray app. */
  start: () => Promise<A>;
}

/** The app from launch to quit. */
export class Startup<M, A extends StartedApp> {
  readonly #options: StartupOptions<M, A>;
  #started: Promise<A> | undefined;
  #app: A | undefined;
  #openWhenUp = false;
  #closing: Promise<void> | undefined;

  constructor(options: StartupOptions<M, A>) {
    this.#options = options;
    const { tray, buildMenu, iconPath } = options;
    const model = startingModel();
    tray.setImage(iconPath(model.icon));
    tray.setToolTip(model.tooltip);
    tray.setContextMenu(
      buildMenu(menuTemplate(model.items, (command) => command === "quit" && options.quit())),
    );
  }

  /** The started app, once it is up. */
  get app(): A | undefined {
    return this.#app;
  }

  /** Starts the app (once); rejects with the start's error, after which only a quit is left. */
  run(): Promise<A> {
    this.#started ??= this.#options.start().then((app) => {
      this.#app = app;
      if (this.#openWhenUp && !this.#closing) app.openLiveCalls();
      return app;
    });
    return this.#started;
  }

  /** Another launch of the app: open Live calls now, or as soon as the app is up. */
  secondInstance(): void {
    if (this.#app) this.#app.openLiveCalls();
    else this.#openWhenUp = true;
  }

  /** Shuts down whatever has started, waiting for a start still under way. Idempotent. */
  shutdown(): Promise<void> {
    this.#closing ??= (async () => {
      const app = await this.#started?.catch(() => undefined);
      if (app) await app.shutdown();
      else this.#options.tray.destroy();
    })();
    return this.#closing;
  }
}
