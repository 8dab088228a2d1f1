"""Issue 32's figures: textured GLBs of in-domain photos, rendered by Blender, scored against the
photos and against nerfinv's own renders.

Usage (the Blender venv's python; nerfinv built):
  .venv-bpy/bin/python tools/blender_figures.py --data data/ood/indomain --cars 10 --work out/blender_figures

For each car: `invert` its view 0 (the test protocol's input, pose estimated), `export-mesh
--baked-light --light photo` (the photo's look, an unlit material) and the default export (albedo);
Blender renders the baked GLB at the photo's camera and at three others (azimuth +90, +180, +270°,
elevation 20°); nerfinv renders the latent at those three under the photo's light at 4x the size,
box-filtered down (Blender's 64 samples a pixel average the pixel too). Prints one JSON line per car
and the means.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score_renders import load, object_psnr  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NERFINV = os.path.join(HERE, "..", ".build", "release", "nerfinv")


def run(*args):
    out = subprocess.run([NERFINV, *args], check=True, capture_output=True, text=True)
    return out.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--cars", type=int, default=10)
    ap.add_argument("--work", required=True)
    ap.add_argument("--model", default="models/cars.nvm")
    ap.add_argument("--export-args", default="", help="more export-mesh flags for both exports (an experiment)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cars = sorted(d for d in os.listdir(args.data) if os.path.isdir(os.path.join(args.data, d)))[: args.cars]
    rows = []
    for car in cars:
        w = os.path.join(args.work, car)
        os.makedirs(w, exist_ok=True)
        latent = os.path.join(w, "car.latent")
        run("invert", os.path.join(args.data, car, "rgb", "000000.png"), "--model", args.model, "--out", latent,
            "--quiet")
        view = json.load(open(latent))["view"]
        baked = json.loads(run("export-mesh", "--model", args.model, "--latent", latent, "--out",
                               os.path.join(w, "baked.glb"), "--baked-light", "--light", "photo", "--json",
                               *args.export_args.split()))
        albedo = json.loads(run("export-mesh", "--model", args.model, "--latent", latent, "--out",
                                os.path.join(w, "albedo.glb"), "--json", *args.export_args.split()))
        cameras = [{"name": "input", "azimuth": view["azimuth"], "elevation": view["elevation"],
                    "distance": view["distance"], "fov": view["fov"], "size": 128}]
        for k, turn in enumerate([90, 180, 270]):
            az = (view["azimuth"] + turn) % 360
            cameras.append({"name": f"novel{k}", "azimuth": az, "elevation": 20, "distance": 3.0, "fov": 40,
                            "size": 128})
            run("render", "--model", args.model, "--latent", latent, "--azimuth", str(az), "--elevation", "20",
                "--size", "512", "--light", "photo", "--out", os.path.join(w, f"nerfinv_novel{k}.png"), "--quiet")
        json.dump(cameras, open(os.path.join(w, "cameras.json"), "w"))
        subprocess.run([sys.executable, os.path.join(HERE, "blender_render_glb.py"), "--glb",
                        os.path.join(w, "baked.glb"), "--cameras", os.path.join(w, "cameras.json"), "--out",
                        os.path.join(w, "blender"), "--samples", "64"], check=True, capture_output=True)
        photo = load(os.path.join(w, "car_input.png"))
        row = {
            "car": car,
            "blender_vs_photo_db": object_psnr(load(os.path.join(w, "blender", "input.png")), photo)[0],
            # nerfinv's 4x renders are box-filtered to the render's size by object_psnr.
            "blender_vs_nerfinv_db": [
                object_psnr(load(os.path.join(w, "blender", f"novel{k}.png")),
                            load(os.path.join(w, f"nerfinv_novel{k}.png")))[0] for k in range(3)],
            "texels_per_photo_pixel": baked.get("texels_per_photo_pixel"),
            "export_seconds_albedo": albedo["seconds"],
            "glb_mb_albedo": os.path.getsize(os.path.join(w, "albedo.glb")) / 1e6,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "cars": len(rows),
        "blender_vs_photo_db": float(np.mean([r["blender_vs_photo_db"] for r in rows])),
        "blender_vs_nerfinv_db": float(np.mean([np.mean(r["blender_vs_nerfinv_db"]) for r in rows])),
        "texels_per_photo_pixel": float(np.mean([r["texels_per_photo_pixel"] for r in rows])),
        "export_seconds_albedo_median": float(np.median([r["export_seconds_albedo"] for r in rows])),
        "glb_mb_albedo_max": float(max(r["glb_mb_albedo"] for r in rows)),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
