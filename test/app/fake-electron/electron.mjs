// A recording stand-in for the "electron" module, enough to run main/app/main.ts under plain Node. It
// writes what the app asked of it to FAKE_ELECTRON_REPORT (JSON) when the app exits.
import { EventEmitter } from "node:events";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const report = {
  calls: [],
  ipcChannels: [],
  removedChannels: [],
  tray: { images: [], tooltips: [], menus: [] },
  session: {},
  protocol: {},
  errors: [],
};
let ready = false;
const log = (name, detail) => report.calls.push({ name, ready, ...(detail === undefined ? {} : { detail }) });

function save() {
  report.listeners = {
    "web-contents-created": app.listenerCount("web-contents-created"),
    "window-all-closed": app.listenerCount("window-all-closed"),
    "second-instance": app.listenerCount("second-instance"),
    "will-quit": app.listenerCount("will-quit"),
  };
  if (process.env.FAKE_ELECTRON_REPORT)
    writeFileSync(process.env.FAKE_ELECTRON_REPORT, JSON.stringify(report));
}

const preventable = () => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

class App extends EventEmitter {
  isPackaged = false;
  dock = undefined;
  whenReady() {
    return new Promise((resolve) =>
      setTimeout(() => {
        ready = true;
        log("ready");
        resolve();
      }, 5),
    );
  }
  requestSingleInstanceLock() {
    log("requestSingleInstanceLock");
    return process.env.FAKE_ELECTRON_LOCKED !== "1";
  }
  enableSandbox() {
    log("enableSandbox");
  }
  getAppPath() {
    return process.env.FAKE_ELECTRON_APP_PATH ?? process.cwd();
  }
  getPath() {
    return tmpdir();
  }
  getVersion() {
    return "0.0.0-test";
  }
  setAppUserModelId(id) {
    log("setAppUserModelId", id);
  }
  getLoginItemSettings() {
    return { openAtLogin: false };
  }
  setLoginItemSettings(settings) {
    log("setLoginItemSettings", settings);
  }
  quit() {
    log("quit");
    const before = preventable();
    this.emit("before-quit", before);
    if (before.defaultPrevented) return;
    const will = preventable();
    this.emit("will-quit", will);
    if (will.defaultPrevented) return;
    this.exit(0);
  }
  exit(code = 0) {
    log("exit", code);
    save();
    process.exit(code);
  }
}

export const app = new App();

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    log("BrowserWindow", options);
    this.webContents = Object.assign(new EventEmitter(), { id: 1, send() {}, isDestroyed: () => false });
  }
}

export class Tray extends EventEmitter {
  constructor(image) {
    super();
    report.tray.images.push(image);
  }
  setImage(image) {
    report.tray.images.push(image);
  }
  setToolTip(text) {
    report.tray.tooltips.push(text);
  }
  setContextMenu(menu) {
    report.tray.menus.push(
      menu.template.map((item) => ({ label: item.label, type: item.type, checked: item.checked })),
    );
  }
  destroy() {
    log("tray.destroy");
  }
}

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }
  constructor(options) {
    super();
    this.options = options;
  }
  show() {
    log("Notification.show", this.options.title);
  }
}

export const Menu = {
  buildFromTemplate: (template) => ({ template }),
  setApplicationMenu: (menu) => log("setApplicationMenu", menu),
};

export const ipcMain = Object.assign(new EventEmitter(), {
  handle(channel) {
    report.ipcChannels.push(channel);
  },
  removeHandler(channel) {
    report.removedChannels.push(channel);
  },
});

export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    log("registerSchemesAsPrivileged", schemes);
  },
  handle(scheme, handler) {
    log("protocol.handle", scheme);
    // Ask the handler for the UI's entry page, as a window would.
    Promise.resolve(handler(new Request("app://warden/index.html"))).then(
      (response) => {
        report.protocol.index = {
          status: response.status,
          csp: response.headers.get("content-security-policy"),
        };
      },
      (error) => report.errors.push(String(error)),
    );
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler(handler) {
      handler(
        {},
        "media",
        (granted) => {
          report.session.permissionGranted = granted;
        },
        { requestingUrl: "app://warden/index.html" },
      );
    },
    setPermissionCheckHandler(handler) {
      report.session.permissionCheck = handler({}, "geolocation", "app://warden");
    },
    webRequest: {
      onBeforeRequest(filter, listener) {
        report.session.blocked = filter.urls;
        listener({ url: "https://example.com/" }, (response) => {
          report.session.remoteCancelled = response.cancel;
        });
      },
    },
  },
};

export const shell = {
  openExternal: async (url) => log("openExternal", url),
  openPath: async () => "",
};

export const safeStorage = {
  isEncryptionAvailable: () => false,
  encryptString: (plain) => Buffer.from(plain),
  decryptString: (sealed) => sealed.toString(),
};

export const dialog = {
  showErrorBox(title, content) {
    report.errors.push(`${title}: ${content}`);
  },
};

export default {
  app,
  BrowserWindow,
  Tray,
  Menu,
  Notification,
  ipcMain,
  protocol,
  session,
  shell,
  dialog,
  safeStorage,
};
