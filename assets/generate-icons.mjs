// Draws MCP Warden's icons with nothing but Node: a small anti-aliased rasteriser, a PNG writer (zlib),
// ICO files that wrap PNGs and an ICNS file that wraps PNGs. Run `node assets/generate-icons.mjs [outDir]`
// (default: this folder). The output is committed; test/app/icons.test.ts checks it matches this script.
//
//   tray/tray-<state>.png, tray-<state>@2x.png          Linux (32x32, 64x64), coloured
//   tray/tray-<state>Template.png, …Template@2x.png     macOS menu bar template images (16x16, 32x32), black + alpha
//   tray/tray-<state>.ico                               Windows (16, 20, 24, 32, 40, 48, 64)
//   icon.png (512x512), icon.ico (16…256), icon.icns    the app icon (electron-builder.yml)
// with <state> one of normal, pending, deny-all.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

/** The tray states and their colours (white glyph on a coloured shield). */
export const TRAY_STATES = {
  normal: { color: [37, 99, 235], glyph: "check" },
  pending: { color: [217, 119, 6], glyph: "exclamation" },
  "deny-all": { color: [220, 38, 38], glyph: "bar" },
};

// ---- geometry (all in unit coordinates: 0..1 across the icon) ----

function quadratic(p0, p1, p2, steps) {
  const points = [];
  for (let i = 1; i <= steps; i++) {
    const t = i / steps;
    const a = (1 - t) * (1 - t);
    const b = 2 * (1 - t) * t;
    const c = t * t;
    points.push([a * p0[0] + b * p1[0] + c * p2[0], a * p0[1] + b * p1[1] + c * p2[1]]);
  }
  return points;
}

/** The shield outline: a flat-ish top, straight sides, a curved point at the bottom. */
function shieldPolygon() {
  const right = [
    [0.5, 0.05],
    [0.88, 0.17],
    [0.88, 0.5],
    ...quadratic([0.88, 0.5], [0.86, 0.8], [0.5, 0.97], 24),
  ];
  const left = right
    .slice(1, -1)
    .reverse()
    .map(([x, y]) => [1 - x, y]);
  return [...right, ...left];
}

/** Whether (x, y) is inside the polygon (even-odd), using the row's edge crossings, cached per y. */
function polygonTest(polygon) {
  const rows = new Map();
  const crossings = (y) => {
    let xs = rows.get(y);
    if (xs) return xs;
    xs = [];
    for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
      const [xi, yi] = polygon[i];
      const [xj, yj] = polygon[j];
      if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
    xs.sort((a, b) => a - b);
    if (rows.size > 20_000) rows.clear();
    rows.set(y, xs);
    return xs;
  };
  return (x, y) => {
    let inside = false;
    for (const cx of crossings(y)) {
      if (cx > x) break;
      inside = !inside;
    }
    return inside;
  };
}

function segmentDistance(x, y, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

const capsule = (a, b, r) => (x, y) => segmentDistance(x, y, a, b) <= r;
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) <= r;
const union =
  (...shapes) =>
  (x, y) =>
    shapes.some((s) => s(x, y));

/** Maps a shape drawn in unit space into the box [x0, y0]..[x0 + size, y0 + size]. */
const placed = (shape, x0, y0, size) => (x, y) => shape((x - x0) / size, (y - y0) / size);

const shield = polygonTest(shieldPolygon());

/** The glyph inside the shield for each state: ✓ normal, ! approvals pending, — Deny-all on. */
const GLYPHS = {
  check: union(capsule([0.3, 0.5], [0.44, 0.64], 0.075), capsule([0.44, 0.64], [0.7, 0.35], 0.075)),
  exclamation: union(capsule([0.5, 0.24], [0.5, 0.55], 0.08), circle(0.5, 0.74, 0.085)),
  bar: capsule([0.28, 0.5], [0.72, 0.5], 0.095),
};

function roundedSquare(inset, radius) {
  return (x, y) => {
    const lo = inset + radius;
    const hi = 1 - inset - radius;
    const cx = Math.min(Math.max(x, lo), hi);
    const cy = Math.min(Math.max(y, lo), hi);
    return Math.hypot(x - cx, y - cy) <= radius;
  };
}

// ---- rasteriser ----

/**
 * Renders layers (painted in order) into RGBA pixels with supersampling. A layer is {shape, color} where
 * color is [r, g, b, a] (a in 0..1), or {shape, erase: true}, which cuts the shape out of what is below.
 */
export function render(size, layers, samples = size >= 256 ? 2 : 4) {
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          for (const layer of layers) {
            if (!layer.shape(x, y)) continue;
            if (layer.erase) {
              cr = cg = cb = ca = 0;
              continue;
            }
            const [lr, lg, lb, la = 1] = layer.color;
            cr = lr * la + cr * (1 - la);
            cg = lg * la + cg * (1 - la);
            cb = lb * la + cb * (1 - la);
            ca = la + ca * (1 - la);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const n = samples * samples;
      const offset = (py * size + px) * 4;
      if (a > 0) {
        pixels[offset] = Math.round(r / a);
        pixels[offset + 1] = Math.round(g / a);
        pixels[offset + 2] = Math.round(b / a);
      }
      pixels[offset + 3] = Math.round((a / n) * 255);
    }
  }
  return pixels;
}

// ---- file formats ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** An 8-bit RGBA PNG (colour type 6, no interlace, filter 0 on every row). */
export function encodePng(size, pixels) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8;
  header[9] = 6;
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) pixels.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** An ICO holding one PNG per size (Windows Vista and later read PNG entries). */
export function encodeIco(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = 6 + 16 * images.length;
  const entries = images.map(({ size, png }) => {
    const entry = Buffer.alloc(16);
    entry[0] = size >= 256 ? 0 : size;
    entry[1] = size >= 256 ? 0 : size;
    entry.writeUInt16LE(1, 4);
    entry.writeUInt16LE(32, 6);
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    return entry;
  });
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

/** The ICNS element types that hold PNG data, by pixel size. */
export const ICNS_TYPES = [
  ["icp4", 16],
  ["icp5", 32],
  ["icp6", 64],
  ["ic07", 128],
  ["ic08", 256],
  ["ic09", 512],
  ["ic10", 1024],
];

/** An ICNS file: 'icns', total length, then (type, length including its 8-byte header, PNG) elements. */
export function encodeIcns(elements) {
  const parts = elements.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, "ascii");
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write("icns", 0, "ascii");
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

// ---- the icons ----

const WHITE = [255, 255, 255, 1];
const BLACK = [0, 0, 0, 1];

/** A coloured tray icon: the shield in the state's colour with a white glyph. */
export function trayLayers(state) {
  const { color, glyph } = TRAY_STATES[state];
  return [
    { shape: shield, color: [...color, 1] },
    { shape: GLYPHS[glyph], color: WHITE },
  ];
}

/** A macOS template tray icon: a black shield with the glyph cut out (macOS tints it for the menu bar). */
export function templateLayers(state) {
  return [
    { shape: shield, color: BLACK },
    { shape: GLYPHS[TRAY_STATES[state].glyph], erase: true },
  ];
}

/** The app icon: a dark rounded square holding the blue shield with its check. */
export function appLayers() {
  const inner = 0.62;
  const at = (1 - inner) / 2;
  return [
    { shape: roundedSquare(0.06, 0.2), color: [17, 24, 39, 1] },
    { shape: placed(shield, at, at + 0.01, inner), color: [...TRAY_STATES.normal.color, 1] },
    { shape: placed(GLYPHS.check, at, at + 0.01, inner), color: WHITE },
  ];
}

const png = (size, layers) => encodePng(size, render(size, layers));

/** Every file this script writes: relative path → bytes. */
export function iconFiles() {
  const files = new Map();
  for (const state of Object.keys(TRAY_STATES)) {
    const colour = trayLayers(state);
    files.set(`tray/tray-${state}.png`, png(32, colour));
    files.set(`tray/tray-${state}@2x.png`, png(64, colour));
    const template = templateLayers(state);
    files.set(`tray/tray-${state}Template.png`, png(16, template));
    files.set(`tray/tray-${state}Template@2x.png`, png(32, template));
    files.set(
      `tray/tray-${state}.ico`,
      encodeIco([16, 20, 24, 32, 40, 48, 64].map((size) => ({ size, png: png(size, colour) }))),
    );
  }
  const app = appLayers();
  const appPngs = new Map();
  const appPng = (size) => {
    if (!appPngs.has(size)) appPngs.set(size, png(size, app));
    return appPngs.get(size);
  };
  files.set("icon.png", appPng(512));
  files.set(
    "icon.ico",
    encodeIco([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: appPng(size) }))),
  );
  files.set("icon.icns", encodeIcns(ICNS_TYPES.map(([type, size]) => ({ type, png: appPng(size) }))));
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? dirname(fileURLToPath(import.meta.url)));
  for (const [path, bytes] of iconFiles()) {
    const target = join(outDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  console.log(`icons written to ${outDir}`);
}
