#!/usr/bin/python3
"""The HTML report in a real browser (docs/html-report.md, "Browser test").

Runs `loihisim run examples/run/tiny.model.yaml --html` into a scratch folder, then Debian's
headless Chromium: the page loads without console messages (the page has no scripts, so any
console line is an error), every figure is in the DOM Chromium built, and a screenshot is not
blank (many colours, a sizeable share of non-white pixels). First it checks that the console
check does catch an error, on a page made to have one.

Exit 0: passed; 1: failed; 77: Chromium is not installed (CTest reports the test as skipped).
Run: cd build && ctest -L browser   (needs `apt-get install -y chromium`).
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

# The figures of runtime/html_report.cpp (html_report_figure_ids()).
FIGURE_IDS = ["fig-summary", "fig-energy-events", "fig-energy-cores", "fig-mesh", "fig-raster",
              "fig-rates", "fig-latency", "fig-critical", "fig-accuracy", "fig-assumptions"]


def chromium(args, timeout=120):
    cmd = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr",
           "--v=0", "--user-data-dir=" + PROFILE] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def console_errors(stderr):
    return [l for l in stderr.splitlines()
            if ":CONSOLE" in l or "Uncaught" in l or "Failed to load" in l]


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, unfiltered."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"{path}: PNG depth {depth} colour type {colour} not handled")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True, help="the loihisim binary")
    ap.add_argument("--source", required=True, help="the source tree")
    ap.add_argument("--keep", help="keep the page and the screenshot in this folder")
    a = ap.parse_args()
    global CHROMIUM, PROFILE
    CHROMIUM = shutil.which("chromium")
    if not CHROMIUM:
        print("chromium is not installed (apt-get install -y chromium): skipped")
        return 77
    work = a.keep or tempfile.mkdtemp(prefix="loihisim_browser_")
    os.makedirs(work, exist_ok=True)
    PROFILE = os.path.join(work, "profile")
    failures = []

    bad = os.path.join(work, "bad.html")
    with open(bad, "w") as f:
        f.write("<!DOCTYPE html><html><body><script>undefined_function();</script></body></html>")
    if not console_errors(chromium(["--dump-dom", "file://" + bad]).stderr):
        failures.append("the console check missed the error of a page made to have one")

    page = os.path.join(work, "report.html")
    model = os.path.join(a.source, "examples/run/tiny.model.yaml")
    subprocess.run([a.cli, "run", model, "--arch", "loihi1", "--quiet", "--html", page],
                   check=True, stdout=subprocess.DEVNULL)
    dom = chromium(["--dump-dom", "file://" + page])
    for line in console_errors(dom.stderr):
        failures.append("console: " + line)
    for fig in FIGURE_IDS:
        if f'id="{fig}"' not in dom.stdout:
            failures.append(f"figure {fig} is not in the DOM")

    shot = os.path.join(work, "report.png")
    chromium(["--screenshot=" + shot, "--window-size=1200,2400", "file://" + page])
    if not os.path.exists(shot):
        failures.append("no screenshot written")
    else:
        w, h, bpp, rows = png_pixels(shot)
        colours, ink = set(), 0
        for r in rows[::4]:
            for x in range(0, w * bpp, 4 * bpp):
                px = r[x:x + 3]
                colours.add(px)
                ink += px != b"\xff\xff\xff"
        sampled = len(rows[::4]) * len(range(0, w * bpp, 4 * bpp))
        print(f"screenshot {w}x{h}: {len(colours)} colours, {100 * ink / sampled:.1f} % not white")
        if len(colours) < 20 or ink < 0.02 * sampled:
            failures.append(f"the screenshot looks blank ({len(colours)} colours, "
                            f"{ink} of {sampled} sampled pixels not white)")
    for f in failures:
        print("FAILED:", f)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("browser check:", "failed" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
