import { useEffect, useMemo, useState } from "preact/hooks";

import { initialLang, storeLang, translator, type I18n, type Lang } from "../i18n";

/** The UI language: the browser's until the person picks one; the page's `lang` follows it. */
export function useLanguage(): [I18n, (lang: Lang) => void] {
  const [lang, setLang] = useState<Lang>(initialLang);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
    storeLang(lang);
  }, [lang]);
  return [i18n, setLang];
}
