/** The icons in assets/: each OS's formats and sizes, three distinct tray states, and up to date with their script. */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { inflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/warden.js";
import { tempFolder } from "./fakes.js";

const assets = join(repoRoot, "assets");
const STATES = ["normal", "pending", "deny-all"];

/** Width, height and RGBA pixels of one of our PNGs (8-bit RGBA, filter 0 on every row, as the script writes). */
function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString("ascii", offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]]).toEqual([8, 6]);
    }
    if (type === "IDAT") data.push(body);
    offset += 12 + length;
  }
  const rows = inflateSync(Buffer.concat(data));
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    expect(rows[y * (width * 4 + 1)]).toBe(0);
    rows.copy(pixels, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  }
  return { width, height, pixels };
}

type Image = ReturnType<typeof decodePng>;

const png = (path: string) => decodePng(readFileSync(join(assets, path)));

/** Every image a file holds. */
function imagesIn(file: string, bytes: Buffer<ArrayBuffer>): Image[] {
  if (file.endsWith(".png")) return [decodePng(bytes)];
  if (file.endsWith(".ico")) return icoImages(file, bytes).map((e) => e.image);
  return icnsElements(file, bytes).map((e) => e.image);
}

/** The PNG images inside an ICO, with the size each directory entry claims. */
function icoImages(
  path: string,
  ico = readFileSync(join(assets, path)),
): { claimed: number; image: Image }[] {
  expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
  return Array.from({ length: ico.readUInt16LE(4) }, (_, i) => {
    const entry = 6 + 16 * i;
    const size = ico.readUInt32LE(entry + 8);
    const at = ico.readUInt32LE(entry + 12);
    return { claimed: ico[entry] || 256, image: decodePng(ico.subarray(at, at + size)) };
  });
}

/** The elements of an ICNS file: type and decoded PNG. */
function icnsElements(
  path: string,
  icns = readFileSync(join(assets, path)),
): { type: string; image: Image }[] {
  expect(icns.toString("ascii", 0, 4)).toBe("icns");
  expect(icns.readUInt32BE(4)).toBe(icns.length);
  const elements = [];
  for (let at = 8; at < icns.length; ) {
    const length = icns.readUInt32BE(at + 4);
    elements.push({
      type: icns.toString("ascii", at, at + 4),
      image: decodePng(icns.subarray(at + 8, at + length)),
    });
    at += length;
  }
  return elements;
}

describe("icons", () => {
  it.each(STATES)("tray %s: Linux PNG 32 and 64, macOS template 16 and 32, Windows ICO up to 64", (state) => {
    expect([png(`tray/tray-${state}.png`).width, png(`tray/tray-${state}@2x.png`).width]).toEqual([32, 64]);
    const template = [png(`tray/tray-${state}Template.png`), png(`tray/tray-${state}Template@2x.png`)];
    expect(template.map((t) => [t.width, t.height])).toEqual([
      [16, 16],
      [32, 32],
    ]);
    for (const t of template) {
      // A template image is black and alpha only: macOS tints it for light and dark menu bars.
      let colour = 0;
      for (let i = 0; i < t.pixels.length; i += 4) {
        colour += (t.pixels[i] ?? 0) + (t.pixels[i + 1] ?? 0) + (t.pixels[i + 2] ?? 0);
      }
      expect(colour).toBe(0);
    }
    const ico = icoImages(`tray/tray-${state}.ico`);
    expect(ico.map((e) => e.claimed)).toEqual([16, 20, 24, 32, 40, 48, 64]);
    for (const e of ico) expect(e.image.width).toBe(e.claimed);
  });

  it("the three tray states look different, in colour and as templates", () => {
    for (const variant of ["", "Template"]) {
      const images = STATES.map((s) => png(`tray/tray-${s}${variant}.png`).pixels.toString("hex"));
      expect(new Set(images).size).toBe(3);
    }
  });

  it("app icons: 512 PNG, ICO up to 256, ICNS with ic09 (512) and ic10 (1024)", () => {
    expect(png("icon.png")).toMatchObject({ width: 512, height: 512 });
    const ico = icoImages("icon.ico");
    expect(ico.at(-1)?.image.width).toBe(256);
    expect(ico.every((e) => e.image.width === e.claimed)).toBe(true);
    const icns = icnsElements("icon.icns");
    expect(icns.map((e) => [e.type, e.image.width])).toEqual([
      ["icp4", 16],
      ["icp5", 32],
      ["icp6", 64],
      ["ic07", 128],
      ["ic08", 256],
      ["ic09", 512],
      ["ic10", 1024],
    ]);
  });

  const folder = tempFolder("warden-icons-");
  afterAll(() => folder.remove());

  it("the committed icons are what assets/generate-icons.mjs draws", () => {
    const run = spawnSync(process.execPath, [join(assets, "generate-icons.mjs"), folder.dir], {
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : [relative(folder.dir, join(dir, e.name))],
      );
    const generated = files(folder.dir).sort();
    expect(generated).toHaveLength(3 * 5 + 3);
    for (const file of generated) {
      // Compare pixels, not bytes: another zlib may compress the same pixels differently.
      const fresh = imagesIn(file, readFileSync(join(folder.dir, file)));
      const committed = imagesIn(file, readFileSync(join(assets, file)));
      expect(
        committed.map((i) => i.width),
        file,
      ).toEqual(fresh.map((i) => i.width));
      const same = committed.every((image, n) => image.pixels.equals(fresh[n]?.pixels ?? Buffer.alloc(0)));
      expect(same, `${file} differs from what the script draws: run node assets/generate-icons.mjs`).toBe(
        true,
      );
    }
  });
});
