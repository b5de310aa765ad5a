import { useI18n } from "../i18n";
import { Icon } from "./Icon";

/** Shown while files are dragged over the window: they will go into `collection`. */
export function DropOverlay({ collection }: { collection: string | null }) {
  const { t } = useI18n();
  return (
    <div class="drop-overlay" aria-hidden="true">
      <div class="drop-overlay__card">
        <Icon name="upload" size={28} />
        {t("drop_overlay", { c: collection ?? "" })}
      </div>
    </div>
  );
}
