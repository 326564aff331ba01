"""Illustrations drawn in code for the seed's stories (no downloads, no text: Pillow's
built-in font has no Chinese). Each function returns a PNG of WIDTH x HEIGHT."""
import io
import math

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1200, 750
INK, PAPER, ACCENT, SOFT, GRID = "#12355b", "#f6f8fb", "#e4572e", "#8fb8de", "#dde5ee"


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    return image, ImageDraw.Draw(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def bar_chart(values=(1, 2, 3, 5, 8)) -> bytes:
    """Bars growing left to right on a light grid (e.g. yearly output after landing)."""
    image, draw = _canvas()
    left, bottom, top, right = 140, 640, 110, 1080
    for n in range(6):
        y = bottom - (bottom - top) * n / 5
        draw.line([(left, y), (right, y)], fill=GRID, width=2)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK, width=4)
    peak, slot = max(values), (right - left) / len(values)
    for i, value in enumerate(values):
        x0 = left + slot * i + slot * 0.2
        height = (bottom - top) * value / peak
        draw.rounded_rectangle([x0, bottom - height, x0 + slot * 0.6, bottom - 2], radius=8,
                               fill=ACCENT if i == len(values) - 1 else SOFT)
    return _png(image)


def bipolar_plate() -> bytes:
    """A fuel-cell bipolar plate with its serpentine flow channel and manifolds."""
    image, draw = _canvas()
    draw.rounded_rectangle([200, 110, 1000, 640], radius=30, fill="#3c4a5a", outline=INK,
                           width=6)
    for x, y in ((250, 150), (910, 560)):
        draw.rounded_rectangle([x, y, x + 40, y + 40], radius=8, fill=PAPER)
    rows, x0, x1 = 11, 320, 880
    points = []
    for r in range(rows):
        y = 190 + r * 38
        points += [(x0, y), (x1, y)] if r % 2 == 0 else [(x1, y), (x0, y)]
    draw.line(points, fill=SOFT, width=14, joint="curve")
    draw.line([(270, 170), (x0, 190)], fill=ACCENT, width=10)
    return _png(image)


def iv_curve() -> bytes:
    """A solar cell's current-voltage curve with its maximum power point."""
    image, draw = _canvas()
    left, bottom, right, top = 150, 640, 1080, 110
    for n in range(1, 6):
        x = left + (right - left) * n / 6
        draw.line([(x, top), (x, bottom)], fill=GRID, width=2)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK, width=4)
    curve = []
    for step in range(101):
        v = step / 100
        i = 1 - math.exp((v - 1) * 12)
        curve.append((left + (right - left) * 0.9 * v, bottom - (bottom - top) * 0.85 * i))
    draw.line(curve, fill=INK, width=6, joint="curve")
    mx, my = max(curve, key=lambda p: (p[0] - left) * (bottom - p[1]))
    draw.rectangle([left, my, mx, bottom], outline=ACCENT, width=3)
    draw.ellipse([mx - 14, my - 14, mx + 14, my + 14], fill=ACCENT)
    return _png(image)


def hollow_core_fibre() -> bytes:
    """The cross-section of a nested anti-resonant hollow-core fibre."""
    image, draw = _canvas()
    cx, cy = WIDTH // 2, HEIGHT // 2
    draw.ellipse([cx - 320, cy - 320, cx + 320, cy + 320], fill="#cfdbe8", outline=INK, width=6)
    draw.ellipse([cx - 250, cy - 250, cx + 250, cy + 250], fill=PAPER, outline=INK, width=4)
    for k in range(6):
        angle = math.pi / 3 * k + math.pi / 6
        tx, ty = cx + 175 * math.cos(angle), cy + 175 * math.sin(angle)
        draw.ellipse([tx - 72, ty - 72, tx + 72, ty + 72], outline=INK, width=5)
        nx, ny = cx + 205 * math.cos(angle), cy + 205 * math.sin(angle)
        draw.ellipse([nx - 36, ny - 36, nx + 36, ny + 36], outline=SOFT, width=5)
    draw.ellipse([cx - 40, cy - 40, cx + 40, cy + 40], fill=ACCENT)
    return _png(image)


def power_module() -> bytes:
    """A power module (IGBT) seen from above: substrate, chips, bond wires, terminals."""
    image, draw = _canvas()
    draw.rounded_rectangle([170, 150, 1030, 600], radius=24, fill="#2f3b48", outline=INK,
                           width=6)
    for x in (230, 950):
        draw.ellipse([x - 30, 345, x + 30, 405], fill=PAPER, outline=SOFT, width=4)
    for col in range(3):
        for row in range(2):
            x, y = 330 + col * 200, 220 + row * 180
            draw.rectangle([x, y, x + 140, y + 130], fill="#b87333")
            draw.rectangle([x + 30, y + 25, x + 110, y + 105], fill="#555f6b", outline=SOFT,
                           width=3)
            for w in range(4):
                draw.line([(x + 45 + w * 15, y + 40), (x + 45 + w * 15, y - 20)], fill=PAPER,
                          width=3)
    for x in (360, 600, 840):
        draw.rectangle([x - 40, 90, x + 40, 150], fill=ACCENT)
    return _png(image)


DRAWINGS = {"bar_chart": bar_chart, "bipolar_plate": bipolar_plate, "iv_curve": iv_curve,
            "hollow_core_fibre": hollow_core_fibre, "power_module": power_module}


def draw(name: str, **params) -> bytes:
    """Return the PNG of the drawing called name."""
    return DRAWINGS[name](**params)
