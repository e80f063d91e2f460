/** A "Server" field that picks one of the warden's servers by name. */
export function ServerSelect({
  servers,
  value,
  onChange,
  className,
}: {
  servers: readonly { name: string }[];
  value: string;
  onChange: (name: string) => void;
  className?: string;
}) {
  return (
    <label className={className}>
      Server
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {servers.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name}
          </option>
        ))}
      </select>
    </label>
  );
}
