/** Layout checks the end-to-end tests share. */
import type { Locator, Page } from "playwright-core";

/** Whether the page fits its viewport's width (nothing makes it scroll sideways). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth") as Promise<boolean>;
}

/** How many lines tall `element` is, against `oneLine`, an element of one short word in about the same font. */
export async function linesOf(element: Locator, oneLine: Locator): Promise<number> {
  const [box, line] = await Promise.all([element.boundingBox(), oneLine.boundingBox()]);
  if (!box || !line) throw new Error("an element to measure is not on screen");
  return Math.round(box.height / line.height);
}
