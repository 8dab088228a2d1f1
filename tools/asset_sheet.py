"""The README's sheet of one textured export: photo, vertex-colour mesh, textured mesh, de-lit albedo,
where the texture's colours came from, and Blender's render of the GLB at the photo's camera.

Usage: python tools/asset_sheet.py CAR_DIR OUT.png
CAR_DIR is one car's folder of tools/blender_figures.py (car.latent, car_input.png, baked.glb,
albedo.glb, blender/input.png); nerfinv (built) makes the two mesh previews into it.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_io import decode_png, encode_png  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NERFINV = os.path.join(HERE, "..", ".build", "release", "nerfinv")
TILE = 256


def load(path):
    return decode_png(open(path, "rb").read()).astype(float) / 255


def glb_image(path, index):
    data = open(path, "rb").read()
    length = struct.unpack("<I", data[12:16])[0]
    gltf = json.loads(data[20 : 20 + length])
    start = 20 + length + 8
    view = gltf["bufferViews"][gltf["images"][index]["bufferView"]]
    return decode_png(data[start + view["byteOffset"] : start + view["byteOffset"] + view["byteLength"]]) / 255


def fit(img):
    """Over white, box-filtered or repeated to TILE x TILE."""
    if img.shape[2] == 4:
        img = img[..., :3] * img[..., 3:4] + (1 - img[..., 3:4])
    n = img.shape[0]
    if n > TILE:
        f = n // TILE
        return img[: TILE * f, : TILE * f].reshape(TILE, f, TILE, f, 3).mean((1, 3))
    return img.repeat(TILE // n, 0).repeat(TILE // n, 1)


def first_tile(preview):
    """The first 256-pixel frame of an export-mesh --preview sheet (2-pixel gaps)."""
    return preview[2 : 2 + TILE, 2 : 2 + TILE]


def main():
    car, out = sys.argv[1], sys.argv[2]
    latent = os.path.join(car, "car.latent")
    for name, extra in [("vertex", ["--texture-size", "0"]), ("textured", ["--baked-light", "--light", "photo"])]:
        subprocess.run([NERFINV, "export-mesh", "--latent", latent, "--out", os.path.join(car, name + "_sheet.glb"),
                        "--preview", os.path.join(car, name + "_preview.png"), "--quiet", *extra], check=True)
    confidence = glb_image(os.path.join(car, "albedo.glb"), 1)
    coded = np.ones_like(confidence)
    w = confidence[..., :3]
    covered = w.sum(axis=2, keepdims=True) > 0
    colours = np.array([[0.2, 0.75, 0.25], [1, 0.6, 0.1], [0.6, 0.6, 0.6]])
    coded = np.where(covered, np.tensordot(w, colours, axes=1), 1)
    tiles = [
        fit(load(os.path.join(car, "car_input.png"))),
        first_tile(load(os.path.join(car, "vertex_preview.png"))[..., :3]),
        first_tile(load(os.path.join(car, "textured_preview.png"))[..., :3]),
        fit(glb_image(os.path.join(car, "albedo.glb"), 0)[..., :3]),
        fit(coded),
        fit(load(os.path.join(car, "blender", "input.png"))),
    ]
    gap = np.ones((TILE, 4, 3))
    row = np.concatenate(sum(([t, gap] for t in tiles), [])[:-1], axis=1)
    open(out, "wb").write(encode_png(row))


if __name__ == "__main__":
    main()
