/** Layout checks the end-to-end tests share. */
import type { Locator, Page } from "playwright-core";

/** Whether the page fits its viewport's width (nothing makes it scroll sideways). */
export function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate("document.scrollingElement.scrollWidth <= innerWidth") as Promise<boolean>;
}

/** How many lines an inline element (a name, a time) is laid out on: one box per line. */
export function linesOf(inline: Locator): Promise<number> {
  return inline.evaluate((el) => el.getClientRects().length);
}

/** Whether an element's text is cut (it is wider than its box, as an ellipsis shows). */
export function isCut(element: Locator): Promise<boolean> {
  return element.evaluate((el) => el.scrollWidth > el.clientWidth);
}
