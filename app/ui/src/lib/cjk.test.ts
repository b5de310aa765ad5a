import { describe, expect, it } from "vitest";

import { CJK_CLASS, hasCjk } from "./cjk";
import { textLang } from "./format";

describe("CJK script", () => {
  it("finds kana, kanji, the iteration mark and supplementary-plane kanji", () => {
    for (const text of ["ひらがな", "カタカナ", "東京", "人々", "々", "𠮷野家", "﨑"]) {
      expect(hasCjk(text), text).toBe(true);
    }
  });

  it("does not take Latin, digits, full-width digits or Hangul for Japanese", () => {
    for (const text of ["Tokyo Tower", "1958", "１９５８", "한국어", ""]) {
      expect(hasCjk(text), text).toBe(false);
    }
  });

  it("is the class textLang uses, and builds other expressions", () => {
    expect(textLang("The answer is 東京タワー.")).toBe("ja");
    expect(textLang("No Japanese here.")).toBe("en");
    expect("abc東京def".match(new RegExp(`[${CJK_CLASS}]+`, "u"))?.[0]).toBe("東京");
  });
});
