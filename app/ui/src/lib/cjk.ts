// The UI's one definition of Japanese (CJK) script: kana, the marks 々 and 〆, CJK ideographs (extension
// A, the unified block, compatibility ideographs), half-width katakana and the supplementary ideograph
// planes. It is the same class as the server's (JAPANESE_CHARS in app/core/text.py), so "this text is
// Japanese" means one thing everywhere.
// Anything in the UI that asks that question imports it from here.

/** The character class's contents, for building other expressions (`new RegExp(`[${CJK_CLASS}]+`, "u")`). */
export const CJK_CLASS =
  "\\u3005\\u3006\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\uff66-\\uff9f\\u{20000}-\\u{3ffff}";

/** One CJK character (the `u` flag is needed for the supplementary planes). */
export const CJK_CHAR = new RegExp(`[${CJK_CLASS}]`, "u");

export function hasCjk(text: string): boolean {
  return CJK_CHAR.test(text);
}
