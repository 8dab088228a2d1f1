"""Drives `nerfinv view` in headless Chromium through the DevTools protocol and checks the page.

Usage: python tools/check_viewer.py URL [--seconds S] [--screenshot PATH]
       python tools/check_viewer.py URL --drop PHOTO.png [--refuse NOT_A_PNG] [--screenshot PATH]
Loads the page, waits for the first frame, drags across the view for S seconds (frames per second
measured by the page itself), switches to the second latent, and takes a screenshot. Prints one
JSON line: fps, whether the frame changed after the drag and after the switch, console errors,
and the share of non-white pixels in the view in the screenshot; exits non-zero when a check fails.
With --drop: picks PHOTO with the page's file button (as a drop does) and measures, as the page
does, the milliseconds to the first frame of its latent, to the first frame of its quickly refined
latent and to the first frame of its default inversion's; --refuse first offers a file the server must refuse, and checks the page says why.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib

import websocket


def png_pixels(data):
    """Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            ctype = body[9]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    channels = {2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
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
        rows.append(line)
        prev = line
    return width, height, channels, rows


class Page:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def eval(self, expression):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait(self, expression, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.eval(expression):
                return True
            time.sleep(0.05)
        return False


def pick(page, path):
    """Gives the page's file button a file, as a user picking it does (change event included)."""
    root = page.call("DOM.getDocument")["root"]["nodeId"]
    node = page.call("DOM.querySelector", nodeId=root, selector="#photo")["nodeId"]
    page.call("DOM.setFileInputFiles", files=[os.path.abspath(path)], nodeId=node)


def object_share(page, shot):
    """Share of non-white pixels in the view's box of a screenshot."""
    box = page.eval("(() => { const r = document.getElementById('view').getBoundingClientRect();"
                    " return [r.x, r.y, r.width, r.height]; })()")
    w, h, ch, rows = png_pixels(shot)
    coloured = total = 0
    for yy in range(max(0, int(box[1])), min(h, int(box[1] + box[3])), 4):
        row = rows[yy]
        for xx in range(max(0, int(box[0])), min(w, int(box[0] + box[2])), 4):
            total += 1
            coloured += (row[xx * ch] < 235 or row[xx * ch + 1] < 235 or row[xx * ch + 2] < 235)
    return coloured / max(1, total)


def check_drop(page, photo, refuse):
    """The drop flow; returns the result fields."""
    page.wait("window.nerfinvInfo !== undefined")
    result = {}
    if refuse:
        pick(page, refuse)
        page.wait("window.nerfinvDrop && window.nerfinvDrop.error !== undefined", timeout=20)
        said = page.eval("document.getElementById('status').textContent") or ""
        result["refused_says"] = said[:120]
        result["refusal_shown"] = "refused" in said
    pick(page, photo)
    first = page.wait("window.nerfinvDrop && window.nerfinvDrop.firstFrameMs !== undefined", timeout=30)
    refined = page.wait("window.nerfinvDrop && (window.nerfinvDrop.finalFrameMs !== undefined"
                        " || window.nerfinvDrop.error !== undefined)", timeout=120)
    drop = page.eval("JSON.stringify(window.nerfinvDrop)")
    drop = json.loads(drop) if drop else {}
    result.update({
        "first_frame_ms": round(drop.get("firstFrameMs", -1)), "refined_frame_ms": round(drop.get("refinedFrameMs", -1)),
        "final_frame_ms": round(drop.get("finalFrameMs", -1)),
        "drop_error": drop.get("error"), "dropped_latent": drop.get("latent"),
    })
    time.sleep(0.5)
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    if "--screenshot" in sys.argv:
        with open(sys.argv[sys.argv.index("--screenshot") + 1], "wb") as f:
            f.write(shot)
    result["object_pixels_share"] = round(object_share(page, shot), 3)
    result["ok"] = (bool(first) and bool(refined) and drop.get("error") is None
                    and result.get("refusal_shown", True) and 0.02 < result["object_pixels_share"] < 0.9)
    return result


def main():
    url = sys.argv[1]
    seconds = float(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 3.0
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="nerfinv-chromium-")
    proc = subprocess.Popen(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1000,800", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = {"ok": False}
    try:
        port = None
        for line in proc.stderr:
            if "DevTools listening on ws://" in line:
                port = int(line.split("ws://127.0.0.1:")[1].split("/")[0])
                break
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
        target = next(t for t in targets if t["type"] == "page")
        page = Page(websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30))
        page.call("Runtime.enable")
        page.call("Log.enable")
        page.call("Page.enable")
        page.call("Page.navigate", url=url)
        if "--drop" in sys.argv:
            refuse = sys.argv[sys.argv.index("--refuse") + 1] if "--refuse" in sys.argv else None
            result = check_drop(page, sys.argv[sys.argv.index("--drop") + 1], refuse)
            errors = [e for e in page.events
                      if (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
                      or e.get("method") == "Runtime.exceptionThrown"]
            result["console_errors"] = len(errors)
            if errors:
                result["first_error"] = json.dumps(errors[0])[:300]
            result["ok"] = result["ok"] and not errors
            print(json.dumps(result))
            sys.exit(0 if result["ok"] else 1)  # (the finally below closes the browser)
        first = page.wait("(window.nerfinvFrames || 0) > 0")
        src0 = page.eval("window.nerfinvFrameKey")
        box = page.eval("(() => { const r = document.getElementById('view').getBoundingClientRect();"
                        " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        x, y = box
        page.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
        end, step = time.time() + seconds, 0
        while time.time() < end:
            step += 1
            page.call("Input.dispatchMouseEvent", type="mouseMoved", x=x + 80 * ((step % 40) / 40 - 0.5), y=y,
                      button="left")
            time.sleep(0.02)  # a 50 Hz mouse
        page.call("Input.dispatchMouseEvent", type="mouseReleased", x=x, y=y, button="left", clickCount=1)
        fps = page.eval("window.nerfinvFPS || 0")
        # The same path as a drag (a camera step per displayed frame, 128-pixel frames), driven by the
        # page itself: the frame rate the browser gets, without the DevTools mouse events' overhead.
        page.eval("window.nerfinvFPS = 0; window.nerfinvSpin(true)")
        time.sleep(seconds)
        spin_fps = page.eval("window.nerfinvFPS || 0")
        page.eval("window.nerfinvSpin(false)")
        time.sleep(0.5)
        src1 = page.eval("window.nerfinvFrameKey")
        page.eval("(() => { const s = document.getElementById('latent'); s.value = '1';"
                  " s.dispatchEvent(new Event('change')); })()")
        switched = page.wait(f"window.nerfinvFrameKey !== {json.dumps(src1)}", timeout=10)
        time.sleep(1.0)
        shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
        if "--screenshot" in sys.argv:
            with open(sys.argv[sys.argv.index("--screenshot") + 1], "wb") as f:
                f.write(shot)
        w, h, ch, rows = png_pixels(shot)
        left, top = int(box[0] - 256), int(box[1] - 256)
        coloured = total = 0
        for yy in range(max(0, top), min(h, top + 512), 4):
            row = rows[yy]
            for xx in range(max(0, left), min(w, left + 512), 4):
                r, g, b = row[xx * ch], row[xx * ch + 1], row[xx * ch + 2]
                total += 1
                coloured += (r < 235 or g < 235 or b < 235)
        errors = [e for e in page.events
                  if (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
                  or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
                  or e.get("method") == "Runtime.exceptionThrown"]
        result = {
            "first_frame": bool(first), "fps": round(float(fps), 1), "spin_fps": round(float(spin_fps), 1), "drag_changed_frame": src1 != src0,
            "latent_switch_changed_frame": bool(switched), "console_errors": len(errors),
            "object_pixels_share": round(coloured / max(1, total), 3),
        }
        if errors:
            result["first_error"] = json.dumps(errors[0])[:300]
        result["ok"] = (result["first_frame"] and result["drag_changed_frame"] and result["latent_switch_changed_frame"]
                        and not errors and 0.02 < result["object_pixels_share"] < 0.9)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
