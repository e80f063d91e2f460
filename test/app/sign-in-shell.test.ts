/** The tray app's part of upstream sign-in: the keychain when there is one, and which pages may open. */
import { describe, expect, it } from "vitest";
import { isSignInUrl, keychainBox } from "../../main/app/sign-in-shell.js";

const keychain = {
  isEncryptionAvailable: () => true,
  encryptString: (plain: string) => Buffer.from(plain, "utf8"),
  decryptString: (sealed: Buffer) => sealed.toString("utf8"),
};

describe("sign-in in the tray app", () => {
  it("seals with the keychain when it is available, else leaves it to the key file", () => {
    expect(keychainBox(keychain)?.kind).toBe("the system keychain");
    expect(keychainBox({ ...keychain, isEncryptionAvailable: () => false })).toBeUndefined();
  });

  it("only web URLs open as sign-in pages; plain http only to loopback", () => {
    expect(isSignInUrl("https://auth.example.com/authorize?x=1")).toBe(true);
    expect(isSignInUrl("http://127.0.0.1:9000/authorize")).toBe(true);
    expect(isSignInUrl("http://auth.example.com/authorize")).toBe(false);
    expect(isSignInUrl("file:///etc/passwd")).toBe(false);
    expect(isSignInUrl("https://user:pw@auth.example.com/")).toBe(false);
    expect(isSignInUrl("not a url")).toBe(false);
  });
});
