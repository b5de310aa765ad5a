import { useI18n } from "../i18n";
import type { ChipStatus } from "../lib/citations";

const ICONS: Record<ChipStatus, string> = {
  verified: "✓",
  inferred: "≈",
  unsupported: "!",
  pending: "…",
  unchecked: "–",
  nosource: "?",
};

/** A citation verdict in words, with a shape that differs per status (not colour alone). */
export function StatusBadge({ status }: { status: ChipStatus }) {
  const { t } = useI18n();
  return (
    <span class={`status-badge status-badge--${status}`}>
      <span aria-hidden="true" class="status-badge__icon">
        {ICONS[status]}
      </span>
      {t(`status_${status}`)}
    </span>
  );
}
