/**
 * Every tool the connected servers offer, with the decision the edited policy makes for it (a dry run with
 * no arguments; for a multi-action tool, one row and one dry run per action), and a form to set its rule's action, reason and limits without writing JSON.
 */
import { Fragment, useEffect, useId, useMemo, useState } from "react";
import type { Decision, ServerStatus } from "../../../shared/contract.js";
import { ACTIONS, NAMED_WINDOWS, SCOPES, type Scope } from "../../../shared/policy-schema.js";
import { useApi } from "../api.js";
import { inPool } from "../pool.js";
import { VerdictBadge } from "../ui/badges.js";
import { InferredTag, RiskBadge } from "../ui/risk.js";
import { type RuleDraft, readRule, rowArgs, rowKey, ruleKeyOf, ruleRows, writeRule } from "./rules.js";

interface Props {
  servers: readonly ServerStatus[];
  draft: string;
  /** Whether the draft is a valid policy (decisions are only asked for then). */
  valid: boolean;
  onDraftChange: (text: string) => void;
}

export function RulesPanel({ servers, draft, valid, onDraftChange }: Props) {
  const api = useApi();
  const [decisions, setDecisions] = useState<Map<string, Decision>>(new Map());
  const [editing, setEditing] = useState<string | undefined>();
  const rows = useMemo(() => ruleRows(servers), [servers]);
  const withRisk = rows.some((r) => r.risk);

  useEffect(() => {
    if (!valid) return;
    let current = true;
    const timer = setTimeout(() => {
      const found = new Map<string, Decision>();
      void inPool(rows, 6, async (row) => {
        const result = await api.dryRun({
          server: row.server,
          tool: row.tool,
          args: rowArgs(row),
          policy: draft,
        });
        if (result.decision) found.set(rowKey(row), result.decision);
      }).then(
        () => current && setDecisions(found),
        () => {},
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, rows, draft, valid]);

  if (rows.length === 0) return <p className="muted">No tools yet: they appear when a server connects.</p>;

  return (
    <div className="rules">
      {!valid && <p className="warning">Fix the errors in the policy to see each tool's decision.</p>}
      <p className="muted">
        Decisions are for a call with no other arguments, under the edited policy; a tool with several actions
        has a row per action.
      </p>
      <table className="rules-table">
        <thead>
          <tr>
            <th scope="col">Tool</th>
            {withRisk && <th scope="col">Risk</th>}
            <th scope="col">Decision</th>
            <th scope="col">Rule</th>
            <th scope="col">
              <span className="visually-hidden">Edit</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = rowKey(row);
            const decision = decisions.get(key);
            const open = editing === key;
            const label = row.action ? `${row.tool} ${row.action.value}` : row.tool;
            return (
              <Fragment key={key}>
                <tr>
                  <th scope="row" title={row.description}>
                    <span className="rule-tool">{row.tool}</span>
                    {row.action && (
                      <>
                        {" "}
                        <span className="rule-action" title={`${row.action.argument}: "${row.action.value}"`}>
                          {row.action.value}
                        </span>
                      </>
                    )}{" "}
                    <span className="rule-server muted">{row.server}</span>
                  </th>
                  {withRisk && (
                    <td className="rule-risk">
                      <span className="risk-cell">
                        {row.risk && <RiskBadge risk={row.risk} />}
                        {row.risk && <InferredTag risk={row.risk} />}
                      </span>
                    </td>
                  )}
                  <td className="rule-decision">
                    {decision ? (
                      <VerdictBadge verdict={decision.verdict} />
                    ) : (
                      <span className="muted">{valid ? "…" : "—"}</span>
                    )}
                  </td>
                  <td className="rule-rule">
                    <code>{decision?.rule ?? ""}</code>
                  </td>
                  <td className="rule-edit">
                    <button
                      type="button"
                      className="button small"
                      aria-expanded={open}
                      aria-label={`Edit the rule for ${label} on ${row.server}`}
                      disabled={!valid}
                      onClick={() => setEditing(open ? undefined : key)}
                    >
                      {open ? "Close" : "Edit"}
                    </button>
                  </td>
                </tr>
                {open && (
                  <tr className="rule-form-row">
                    <td colSpan={withRisk ? 5 : 4}>
                      <RuleForm
                        tool={decision?.operation ?? row.tool}
                        wholeTool={row.action && !decision?.operation ? row.tool : undefined}
                        decidedBy={decision?.rule}
                        draft={draft}
                        onApply={(text) => {
                          onDraftChange(text);
                          setEditing(undefined);
                        }}
                        onCancel={() => setEditing(undefined)}
                      />
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface FormProps {
  tool: string;
  /** For one action that no operation names: the tool whose every action the rule governs. */
  wholeTool?: string | undefined;
  /** The rule that decides the tool now: its key is edited when it names a tools entry. */
  decidedBy: string | undefined;
  draft: string;
  onApply: (text: string) => void;
  onCancel: () => void;
}

function RuleForm({ tool, wholeTool, decidedBy, draft, onApply, onCancel }: FormProps) {
  const id = useId();
  const named = decidedBy ? ruleKeyOf(decidedBy) : undefined;
  const key = named?.key ?? tool;
  const [held] = useState(() => readRule(draft, key));
  const [form, setForm] = useState<RuleDraft>(() =>
    held.kind === "rule" || held.kind === "none" ? held.draft : { action: "", reason: "", limits: [] },
  );
  const [problem, setProblem] = useState("");

  if (held.kind === "sub-rules") {
    return (
      <p>
        <code>tools[{JSON.stringify(key)}]</code> is a list of {held.count} sub-rules: edit it in the JSON
        editor.{" "}
        <button type="button" className="button small" onClick={onCancel}>
          Close
        </button>
      </p>
    );
  }

  const setLimit = (index: number, patch: Partial<RuleDraft["limits"][number]>) =>
    setForm((f) => ({ ...f, limits: f.limits.map((l, i) => (i === index ? { ...l, ...patch } : l)) }));

  const apply = (draftRule: RuleDraft | undefined) => {
    try {
      onApply(writeRule(draft, key, draftRule));
    } catch (error) {
      setProblem((error as Error).message);
    }
  };

  return (
    <form
      className="rule-form"
      aria-label={`Rule for ${key}`}
      onSubmit={(e) => {
        e.preventDefault();
        apply(form);
      }}
    >
      <p className="muted">
        {held.kind === "none" ? "New rule " : "Rule "}
        <code>tools[{JSON.stringify(key)}]</code>
        {held.kind === "none" ? " (no rule names this tool yet)" : ""}
        {wholeTool && key === wholeTool ? `: it governs every action of ${wholeTool}` : ""}
      </p>
      <div className="form-grid">
        <label>
          Action
          <select
            value={form.action}
            onChange={(e) => setForm({ ...form, action: e.target.value as RuleDraft["action"] })}
          >
            <option value="">none (allow, within limits)</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Reason
          <input value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} />
        </label>
      </div>
      <fieldset>
        <legend>Limits</legend>
        {form.limits.length === 0 && <p className="muted">No limits.</p>}
        <datalist id={`${id}-windows`}>
          {NAMED_WINDOWS.map((w) => (
            <option key={w} value={w} />
          ))}
        </datalist>
        {form.limits.map((limit, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: limits are edited in place by position
          <div className="form-grid limit" key={i}>
            <label>
              Counter
              <input
                value={limit.counter}
                onChange={(e) => setLimit(i, { counter: e.target.value })}
                required
              />
            </label>
            <label>
              Max
              <input
                inputMode="numeric"
                value={limit.max}
                onChange={(e) => setLimit(i, { max: e.target.value })}
                required
              />
            </label>
            <label>
              Window
              <input
                list={`${id}-windows`}
                value={limit.window}
                onChange={(e) => setLimit(i, { window: e.target.value })}
                required
              />
            </label>
            <label>
              Scope
              <select value={limit.scope} onChange={(e) => setLimit(i, { scope: e.target.value as Scope })}>
                {SCOPES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="button small"
              aria-label={`Remove limit ${limit.counter || i + 1}`}
              onClick={() => setForm((f) => ({ ...f, limits: f.limits.filter((_, j) => j !== i) }))}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          className="button small"
          onClick={() =>
            setForm((f) => ({
              ...f,
              limits: [...f.limits, { counter: `${tool}_rate`, window: "minute", max: "10", scope: "grant" }],
            }))
          }
        >
          Add limit
        </button>
      </fieldset>
      {problem && <p className="error-text">{problem}</p>}
      <div className="form-actions">
        <button type="submit" className="button primary">
          Apply to edited policy
        </button>
        {held.kind === "rule" && (
          <button type="button" className="button" onClick={() => apply(undefined)}>
            Remove rule
          </button>
        )}
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
