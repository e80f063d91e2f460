/**
 * Operations: one name for one thing a server can do, however it packages it. virtualization-mcp stops a
 * VM through `stop_vm {vm_name}` in testing mode and `vm_management {action: "stop"}` in production mode,
 * so a rule for the operation `stop_vm` governs both. The mapping for virtualization-mcp ships here;
 * policies add their own under `operations`.
 */
import type { OperationTarget } from "../../../shared/policy-schema.js";

/** Operations of sandraschi/virtualization-mcp, keyed by the testing-mode tool names users write rules for. */
export const VIRTUALIZATION_OPERATIONS: Readonly<Record<string, readonly OperationTarget[]>> = {
  list_vms: [
    { tool: "vm_management", match: { action: "list" } },
    { tool: "hyperv_management", match: { action: "list" } },
  ],
  get_vm_info: [
    { tool: "vm_management", match: { action: "info" } },
    { tool: "hyperv_management", match: { action: "get" } },
  ],
  start_vm: [
    { tool: "vm_management", match: { action: "start" } },
    { tool: "hyperv_management", match: { action: "start" } },
    { tool: "proxmox_management", match: { operation: "start_vm" } },
  ],
  stop_vm: [
    { tool: "vm_management", match: { action: "stop" } },
    { tool: "hyperv_management", match: { action: "stop" } },
    { tool: "proxmox_management", match: { operation: "stop_vm" } },
    { tool: "proxmox_management", match: { operation: "shutdown_vm" } },
  ],
  create_vm: [{ tool: "vm_management", match: { action: "create" } }],
  delete_vm: [{ tool: "vm_management", match: { action: "delete" } }],
  clone_vm: [{ tool: "vm_management", match: { action: "clone" } }],
  reset_vm: [{ tool: "vm_management", match: { action: "reset" } }],
  pause_vm: [{ tool: "vm_management", match: { action: "pause" } }],
  resume_vm: [{ tool: "vm_management", match: { action: "resume" } }],
  list_snapshots: [{ tool: "snapshot_management", match: { action: "list" } }],
  create_snapshot: [{ tool: "snapshot_management", match: { action: "create" } }],
  restore_snapshot: [{ tool: "snapshot_management", match: { action: "restore" } }],
  delete_snapshot: [
    { tool: "snapshot_management", match: { action: "delete" } },
    { tool: "proxmox_management", match: { operation: "delete_snapshot" } },
  ],
  get_system_info: [{ tool: "system_management", match: { action: "host_info" } }],
  get_vbox_version: [{ tool: "system_management", match: { action: "vbox_version" } }],
  list_ostypes: [{ tool: "system_management", match: { action: "ostypes" } }],
};
