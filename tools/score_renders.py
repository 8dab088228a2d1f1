"""Scores renders against references, independently of nerfinv: object PSNR in sRGB.

Usage: python tools/score_renders.py RENDER.png REFERENCE.png [RENDER.png REFERENCE.png ...]

A render is RGBA over a transparent background (Blender's), composited over white; a reference
is RGB on white (a photo, or a nerfinv render), box-filtered down when it is an integer multiple of
the render's size (a render sampled many times a pixel against one ray a pixel). The object is the union of the render's alpha
above 0.5 and the reference's pixels that are not white, so a missing or extra part counts. Prints
one JSON line per pair: {"render", "reference", "object_psnr_db", "object_pixels"}.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_io import decode_png  # noqa: E402

# A reference pixel closer to white than this (max channel, 0...1) is background.
WHITE = 0.02


def load(path):
    return decode_png(open(path, "rb").read()).astype(float) / 255


def object_psnr(render, reference):
    """Object PSNR (dB) of a render (RGBA or RGB, 0...1) against a reference, and the object's
    pixel count; a reference an integer multiple of the render's size is box-filtered down first."""
    factor = reference.shape[0] // render.shape[0]
    if factor > 1 and reference.shape[0] == factor * render.shape[0] and reference.shape[1] == factor * render.shape[1]:
        h, w = render.shape[:2]
        reference = reference.reshape(h, factor, w, factor, -1).mean((1, 3))
    assert render.shape[:2] == reference.shape[:2], "the render and the reference differ in size"
    alpha = render[..., 3:4] if render.shape[2] == 4 else np.ones(render.shape[:2] + (1,))
    over_white = render[..., :3] * alpha + (1 - alpha)
    ref = reference[..., :3]
    mask = (alpha[..., 0] > 0.5) | (np.max(1 - ref, axis=2) > WHITE)
    mse = float(np.mean((over_white[mask] - ref[mask]) ** 2)) if mask.any() else 0.0
    return 10 * np.log10(1 / max(mse, 1e-10)), int(mask.sum())


def score(render_path, reference_path):
    psnr, pixels = object_psnr(load(render_path), load(reference_path))
    return {"render": render_path, "reference": reference_path, "object_psnr_db": round(psnr, 3),
            "object_pixels": pixels}


def main():
    args = sys.argv[1:]
    if len(args) < 2 or len(args) % 2:
        sys.exit(__doc__)
    for r, ref in zip(args[::2], args[1::2]):
        print(json.dumps(score(r, ref)))


if __name__ == "__main__":
    main()
