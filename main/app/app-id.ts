/**
 * The app's id: electron-builder.yml's appId, which the Windows installer gives its Start-menu shortcut as
 * AppUserModelID; the app sets the same with `app.setAppUserModelId`, so Windows attributes its
 * notifications to MCP Warden (test/app/packaging.test.ts checks they agree).
 */
export const APP_ID = "dev.mcpwarden.app";
