import { pageText } from "./format";

const t = (key: string, vars: Record<string, unknown> = {}) =>
  key === "page" ? `p. ${vars.page}` : `p. ${vars.page} (printed ${vars.label})`;

test("a PDF's printed label goes beside the page; an Office page names itself", () => {
  expect(pageText(t, 3, null)).toBe("p. 3");
  expect(pageText(t, 3, "3")).toBe("p. 3");
  expect(pageText(t, 5, "iii")).toBe("p. 5 (printed iii)");
  expect(pageText(t, 7, "A-1")).toBe("p. 7 (printed A-1)");
  expect(pageText(t, 3, "Slide 3")).toBe("Slide 3");
  expect(pageText(t, 2, "Sheet 売上 (rows 201–400)")).toBe("Sheet 売上 (rows 201–400)");
  expect(pageText(t, 9, "Footnotes")).toBe("Footnotes");
});
