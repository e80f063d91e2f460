/**
 * What a user pastes into a client's config to reach one server through the warden: the same entry
 * wrapping the client would write (`wrappedEntry`), in the container the client's file keeps servers in,
 * with a placeholder where the client token goes.
 */
import {
  CLIENT_LABELS,
  CLIENTS,
  type ClientId,
  type ClientSnippet,
  TOKEN_PLACEHOLDER,
} from "../../../shared/clients.js";
import { clientConfigPaths, type Place, type WardenReach, wrappedEntry } from "./client-configs.js";

/** The snippet of every client for `server`; `fileOf` names the client's file on this machine. */
export function clientSnippets(
  server: string,
  reach: Omit<WardenReach, "token">,
  place: Place,
  fileOf: (client: ClientId) => string | undefined = () => undefined,
): ClientSnippet[] {
  return CLIENTS.map((client) => {
    const entry = { [server]: wrappedEntry(client, {}, server, { ...reach, token: TOKEN_PLACEHOLDER }) };
    const file = fileOf(client) ?? clientConfigPaths(client, place)[0];
    // VS Code keeps servers under `servers` in mcp.json (`mcp.servers` in settings.json); the others under
    // `mcpServers`.
    const config =
      client !== "vscode"
        ? { mcpServers: entry }
        : file && /(^|[\\/])settings\.json$/.test(file)
          ? { mcp: { servers: entry } }
          : { servers: entry };
    return {
      client,
      label: CLIENT_LABELS[client],
      ...(file ? { file } : {}),
      text: `${JSON.stringify(config, null, 2)}\n`,
    };
  });
}
