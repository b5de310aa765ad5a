import type { ToastMessage } from "../hooks/useToast";
import { useI18n } from "../i18n";
import { Icon } from "./Icon";

/** The notice at the bottom of the page; errors are alerts, the rest polite status messages. */
export function Toast({ toast, onClose }: { toast: ToastMessage | null; onClose: () => void }) {
  const { t } = useI18n();
  if (!toast) return null;
  return (
    <div
      key={toast.id}
      class={`toast toast--${toast.tone}`}
      role={toast.tone === "error" ? "alert" : "status"}
    >
      {toast.text}
      <button type="button" class="icon-btn icon-btn--small" aria-label={t("close")} onClick={onClose}>
        <Icon name="close" size={15} />
      </button>
    </div>
  );
}
