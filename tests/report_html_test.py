#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""report.html in a real headless Chromium (Debian's chromium, chromium-driver, python3-selenium).

Usage: report_html_test.py NEURARK_BINARY SOURCE_DIR

Runs `neurark run` on a short prompt on the 16 x 16 chip (systemc, timed) and on the default chip
(func, untimed) into a temporary folder, opens each report.html in headless Chromium and checks:
the page loads without console errors (browser log SEVERE entries); it is self-contained (no
element loads a file, no resource fetched); every section (by id) renders with a non-zero size
and is not blank (its element screenshot has more than one colour); no SVG <text> is clipped
(its box lies inside its SVG's box); the summary is a table, not Markdown in a <pre>; the heat maps
carry a colour scale and a number in every cell at a readable size at 16 x 16. Screenshots go to
the temporary folder only (kept, and named, when a check fails).
"""
import io
import os
import shutil
import subprocess
import sys
import tempfile

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def png_colours(data, limit=2):
    """Distinct pixel colours of a PNG (Pillow), up to `limit`."""
    with Image.open(io.BytesIO(data)) as img:
        colours = img.convert("RGBA").getcolors(maxcolors=limit)
    # getcolors gives None when there are more than maxcolors colours.
    return [None] * limit if colours is None else colours


# Every <text> of every <svg> whose rendered box leaves its SVG's box (0.5 px tolerance).
CLIPPED_JS = """
const out = [];
document.querySelectorAll('svg').forEach((svg, si) => {
  const s = svg.getBoundingClientRect();
  svg.querySelectorAll('text').forEach(t => {
    const r = t.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    if (r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.top < s.top - 0.5 || r.bottom > s.bottom + 0.5)
      out.push(`svg ${si} (${svg.closest('section') ? svg.closest('section').id : '?'}): "${t.textContent}" at ` +
               `[${r.left.toFixed(1)}, ${r.right.toFixed(1)}] x [${r.top.toFixed(1)}, ${r.bottom.toFixed(1)}] outside ` +
               `[${s.left.toFixed(1)}, ${s.right.toFixed(1)}] x [${s.top.toFixed(1)}, ${s.bottom.toFixed(1)}]`);
  });
});
return out;
"""

# Elements that load another file, and resources the page fetched.
EXTERNAL_JS = """
const els = Array.from(document.querySelectorAll('[src], link[href], script, iframe, object, embed, img'));
return els.map(e => e.outerHTML.slice(0, 80)).concat(performance.getEntriesByType('resource').map(r => r.name));
"""


class Checks:
    def __init__(self, folder):
        self.folder, self.failures = folder, []

    def check(self, ok, what):
        print(("ok    " if ok else "FAIL  ") + what)
        if not ok:
            self.failures.append(what)


def run_report(neurark, source, out, chip, backend):
    # --no-synthesis: the page is under test, not the area (the synth-labelled tests run Yosys; at
    # large-16x16's parameters it takes minutes on two cores and timed this test out under load).
    cmd = [neurark, "run", "--chip", os.path.join(source, chip), "--prompt", "ROMEO: ", "--max-new-tokens", "3",
           "--backend", backend, "--no-synthesis", "--out", out]
    subprocess.run(cmd, cwd=source, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "report.html")


def check_page(driver, c, html_path, name, sections, mesh_cells):
    driver.get("file://" + html_path)
    log = driver.get_log("browser")
    severe = [e for e in log if e.get("level") == "SEVERE"]
    c.check(not severe, f"{name}: no console errors {severe}")
    external = driver.execute_script(EXTERNAL_JS)
    c.check(not external, f"{name}: self-contained (nothing loaded from other files) {external}")
    ids = [e.get_attribute("id") for e in driver.find_elements(By.CSS_SELECTOR, "section[id]")]
    c.check(ids == sections, f"{name}: sections {ids} == {sections}")
    driver.save_screenshot(os.path.join(c.folder, f"{name}.png"))
    for sid in ids:
        el = driver.find_element(By.ID, sid)
        size = el.size
        c.check(size["width"] > 0 and size["height"] > 0, f"{name}: #{sid} has a rendered size {size}")
        overflow = driver.execute_script("return [arguments[0].scrollWidth, arguments[0].clientWidth];", el)
        c.check(overflow[0] <= overflow[1] + 1, f"{name}: #{sid} fits its width (content {overflow[0]} px in {overflow[1]} px)")
        png = el.screenshot_as_png
        with open(os.path.join(c.folder, f"{name}-{sid}.png"), "wb") as f:
            f.write(png)
        c.check(len(png_colours(png)) > 1, f"{name}: #{sid} is not blank (more than one colour)")
    clipped = driver.execute_script(CLIPPED_JS)
    c.check(not clipped, f"{name}: no SVG text clipped {clipped[:5]}")
    # The summary is a real table, not the Markdown printed raw.
    summary = driver.find_element(By.ID, "summary")
    c.check(len(summary.find_elements(By.TAG_NAME, "tr")) >= 5, f"{name}: the summary is a table")
    c.check("|---|" not in driver.find_element(By.TAG_NAME, "body").text, f"{name}: no raw Markdown table in the page")
    # Heat maps: a colour scale (its unit label) and a number in every cell, at least 8 px high.
    for svg in driver.find_elements(By.CSS_SELECTOR, "#mesh svg"):
        texts = svg.find_elements(By.TAG_NAME, "text")
        labels = [t.text for t in texts]
        c.check("%" in labels or "nJ/token" in labels, f"{name}: a mesh plot has a colour scale with its unit")
        heights = driver.execute_script(
            "return Array.from(arguments[0].querySelectorAll('text')).filter(t => /^[0-9.]+$/.test(t.textContent))"
            ".map(t => t.getBoundingClientRect().height);", svg)
        cells = len(svg.find_elements(By.TAG_NAME, "rect"))
        c.check(len(heights) >= mesh_cells, f"{name}: {len(heights)} numbers for {mesh_cells} cells")
        c.check(heights and min(heights) >= 8, f"{name}: cell numbers at least 8 px high (smallest {min(heights or [0]):.1f})")
        c.check(cells >= mesh_cells, f"{name}: {cells} rects for {mesh_cells} cells")


def main():
    neurark, source = sys.argv[1], sys.argv[2]
    folder = tempfile.mkdtemp(prefix="neurark-report-html-")
    c = Checks(folder)
    opts = webdriver.ChromeOptions()
    opts.add_argument("--headless=new")
    opts.add_argument("--disable-gpu")
    opts.add_argument("--window-size=1280,1000")
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")
    opts.binary_location = "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path="/usr/bin/chromedriver"))
    try:
        timed = run_report(neurark, source, os.path.join(folder, "large"), "arch/chips/large-16x16.yaml", "systemc")
        check_page(driver, c, timed, "large-16x16-systemc",
                   ["summary", "time", "dram", "energy", "mesh", "latency", "chip", "area"], 256)
        untimed = run_report(neurark, source, os.path.join(folder, "func"), "arch/chips/default-4x4.yaml", "func")
        check_page(driver, c, untimed, "default-4x4-func", ["summary", "dram", "energy", "mesh", "chip", "area"], 16)
        # A console error is caught: the same check on a page that throws must fail.
        bad = os.path.join(folder, "bad.html")
        with open(bad, "w") as f:
            f.write("<!DOCTYPE html><html><body><script>throw new Error('x')</script></body></html>")
        driver.get("file://" + bad)
        c.check(any(e.get("level") == "SEVERE" for e in driver.get_log("browser")), "a throwing page logs a SEVERE entry")
        # And a clipped SVG title is caught.
        with open(bad, "w") as f:
            f.write('<!DOCTYPE html><html><body><svg xmlns="http://www.w3.org/2000/svg" width="60" height="30">'
                    '<text x="4" y="16">a title longer than its SVG</text></svg></body></html>')
        driver.get("file://" + bad)
        c.check(len(driver.execute_script(CLIPPED_JS)) == 1, "a clipped SVG title is found")
    finally:
        driver.quit()
    if c.failures:
        print(f"{len(c.failures)} checks failed; screenshots in {folder}")
        return 1
    shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
