/**
 * Who asks, as a person would say it: the client's own name from its handshake, with the grant it came
 * with beside it when they differ ("Claude Desktop (grant: default)"); the grant alone otherwise. The same
 * words as `askerName` in shared/approval-text.ts, with disguising characters revealed.
 */
import type { PendingApproval } from "../../../shared/contract.js";
import { Revealed } from "./Revealed.js";

export function Asker({ approval }: { approval: Pick<PendingApproval, "client" | "clientName"> }) {
  const { client, clientName } = approval;
  if (!clientName || clientName === client) return <Revealed text={client} />;
  return (
    <>
      <Revealed text={clientName} />{" "}
      <span className="asker-grant">
        (grant: <Revealed text={client} />)
      </span>
    </>
  );
}
