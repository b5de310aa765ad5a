import { useI18n } from "../i18n";

/** Marks text read from an image of the page by OCR (its wording may differ from the page). */
export function OcrBadge({ ocr }: { ocr: boolean | null | undefined }) {
  const { t } = useI18n();
  if (!ocr) return null;
  return (
    <span class="ocr-badge" title={t("ocr_help")} data-testid="ocr-badge">
      <span aria-hidden="true">{t("ocr_badge")}</span>
      <span class="sr-only">{t("ocr_help")}</span>
    </span>
  );
}
