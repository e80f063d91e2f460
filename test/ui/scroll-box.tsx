/**
 * happy-dom does no layout: give the calls list's scroll box the size a window would, so the virtualiser
 * has a viewport to fill (it reads clientWidth and clientHeight). Call at the top of a test file.
 */
import { afterAll, beforeAll } from "vitest";

export function sizeTheCallsScrollBox(layout = { clientHeight: 600, clientWidth: 1000 }): void {
  const saved = Object.keys(layout).map(
    (key) => [key, Object.getOwnPropertyDescriptor(HTMLElement.prototype, key)] as const,
  );
  beforeAll(() => {
    for (const [key, value] of Object.entries(layout)) {
      Object.defineProperty(HTMLElement.prototype, key, {
        configurable: true,
        get(this: HTMLElement) {
          return this.classList.contains("call-scroll") ? value : 0;
        },
      });
    }
  });
  afterAll(() => {
    for (const [key, descriptor] of saved)
      if (descriptor) Object.defineProperty(HTMLElement.prototype, key, descriptor);
  });
}
