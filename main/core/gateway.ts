/**
 * The gateway: one MCP `Server` per client session, in front of one upstream. tools/list shows the tools
 * the policy does not deny outright; tools/call goes through the warden; resources, prompts, completion
 * and logging pass through; upstream notifications reach every session of that server.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  EmptyResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  type Result,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { Upstream } from "./upstreams.js";
import type { Warden } from "./warden.js";

/** Who is on the other end of a session. */
export interface SessionInfo {
  grant: string;
}

/** A session's server and what to call when the session ends. */
export interface GatewaySession {
  server: Server;
  dispose(): void;
}

/** Capabilities offered downstream: tools always (the warden's own), the rest as the upstream has them. */
function mirroredCapabilities(upstream: Upstream): ServerCapabilities {
  const caps = upstream.capabilities;
  return {
    tools: { listChanged: true },
    ...(caps.resources ? { resources: caps.resources } : {}),
    ...(caps.prompts ? { prompts: caps.prompts } : {}),
    ...(caps.completions ? { completions: caps.completions } : {}),
    ...(caps.logging ? { logging: caps.logging } : {}),
  };
}

/** Builds the MCP server for one client session of `upstream`. */
export function createGatewaySession(warden: Warden, upstream: Upstream, info: SessionInfo): GatewaySession {
  const capabilities = mirroredCapabilities(upstream);
  const server = new Server(
    { name: `mcp-warden/${upstream.name}`, version: "0.1.0" },
    { capabilities, ...(upstream.instructions ? { instructions: upstream.instructions } : {}) },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: upstream.tools.filter((tool) => warden.isToolVisible(upstream.name, tool.name)),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const progressToken = request.params._meta?.progressToken;
    return warden.handleCall({
      server: upstream.name,
      tool: request.params.name,
      args: request.params.arguments ?? {},
      grant: info.grant,
      session: extra.sessionId ?? "stdio",
      signal: extra.signal,
      clientCapabilities: server.getClientCapabilities() ?? {},
      askClient: (req, schema, signal) =>
        extra.sendRequest(req as Parameters<typeof extra.sendRequest>[0], schema, { signal }),
      ...(progressToken !== undefined
        ? {
            onProgress: (progress) =>
              extra.sendNotification({
                method: "notifications/progress",
                params: { ...progress, progressToken },
              }),
          }
        : {}),
    });
  });

  const pass = <S extends z.ZodType<Result>>(schema: S) =>
    (async (
      request: { method: string; params?: Record<string, unknown> },
      extra: { signal: AbortSignal },
    ) => {
      if (warden.denyAll)
        throw new McpError(ErrorCode.InvalidRequest, "MCP Warden: Deny-all is on; nothing passes");
      return upstream.request(
        { method: request.method, ...(request.params ? { params: request.params } : {}) },
        schema,
        { signal: extra.signal },
      );
    }) as never;

  if (capabilities.resources) {
    server.setRequestHandler(ListResourcesRequestSchema, pass(ListResourcesResultSchema));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, pass(ListResourceTemplatesResultSchema));
    server.setRequestHandler(ReadResourceRequestSchema, pass(ReadResourceResultSchema));
    if (capabilities.resources.subscribe) {
      server.setRequestHandler(SubscribeRequestSchema, pass(EmptyResultSchema));
      server.setRequestHandler(UnsubscribeRequestSchema, pass(EmptyResultSchema));
    }
  }
  if (capabilities.prompts) {
    server.setRequestHandler(ListPromptsRequestSchema, pass(ListPromptsResultSchema));
    server.setRequestHandler(GetPromptRequestSchema, pass(GetPromptResultSchema));
  }
  if (capabilities.completions) server.setRequestHandler(CompleteRequestSchema, pass(CompleteResultSchema));
  if (capabilities.logging) server.setRequestHandler(SetLevelRequestSchema, pass(EmptyResultSchema));

  const toolsChanged = () => void server.sendToolListChanged().catch(() => {});
  const unsubscribe = [
    upstream.on("toolsChanged", toolsChanged),
    warden.events.on("policy", toolsChanged),
    warden.events.on("toolChanges", toolsChanged),
    upstream.on("notification", (notification) => void server.notification(notification).catch(() => {})),
  ];
  return {
    server,
    dispose: () => {
      for (const off of unsubscribe) off();
    },
  };
}
