import { percent } from "../lib/format";
import type { Tone } from "../lib/progress";

export function ProgressBar({
  fraction,
  tone,
  label,
  name,
}: {
  fraction: number | null;
  tone: Tone;
  label: string;
  name: string;
}) {
  const pct = fraction === null ? null : percent(fraction);
  return (
    <div
      class={`progress progress--${tone}${pct === null ? " progress--indeterminate" : ""}`}
      role="progressbar"
      aria-label={name}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      aria-valuetext={label}
    >
      <div class="progress__fill" style={pct === null ? undefined : { width: `${pct}%` }} />
    </div>
  );
}
