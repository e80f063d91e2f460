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
