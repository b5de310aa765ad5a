import { translator } from "../i18n";
import { pageText } from "./format";

const en = translator("en");
const ja = translator("ja");

test("a PDF's printed label goes beside the page", () => {
  expect(pageText(en, 3, null)).toBe("p. 3");
  expect(pageText(en, 3, "3")).toBe("p. 3");
  expect(pageText(en, 5, "iii")).toBe("p. 5 (printed iii)");
  expect(pageText(en, 7, "A-1")).toBe("p. 7 (printed A-1)");
  expect(pageText(ja, 5, "iii")).toBe("5ページ（表記 iii）");
});

test("an Office page names itself, in the reader's language", () => {
  expect(pageText(en, 3, "Slide 3")).toBe("Slide 3");
  expect(pageText(ja, 3, "Slide 3")).toBe("スライド 3");
  expect(pageText(en, 2, "Sheet 売上 (rows 201–400)")).toBe("Sheet 売上 (rows 201–400)");
  expect(pageText(ja, 2, "Sheet 売上 (rows 201–400)")).toBe("シート「売上」（201～400行）");
  expect(pageText(ja, 1, "Sheet Q3 plan")).toBe("シート「Q3 plan」");
  expect(pageText(ja, 4, "Rows 1–200")).toBe("1～200行");
  expect(pageText(ja, 2, "Section 2")).toBe("セクション 2");
  expect(pageText(ja, 9, "Footnotes")).toBe("脚注");
  expect(pageText(en, 9, "Comments")).toBe("Comments");
});
