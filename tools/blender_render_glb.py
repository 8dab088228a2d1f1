"""Imports a nerfinv GLB with Blender (the bpy wheel) and renders it at the rig's cameras.

Usage: python tools/blender_render_glb.py --glb car.glb --cameras cameras.json --out DIR
       [--metres-per-unit 2.25] [--samples 16]

cameras.json is a list of {"name", "azimuth", "elevation", "distance", "fov", "size"} in the rig's
terms (../shared/RIG.md: degrees, distance in box units, vertical field of view). Each camera's
render goes to DIR/<name>.png as RGBA with a transparent background. The GLB is metres and +y up;
Blender's glTF importer turns that into +z up, so the rig's point p lands at metres_per_unit * p.

An unlit material (KHR_materials_unlit, `export-mesh --baked-light`) shows its texture as it is; an
albedo material is lit by a sun along the rig's key light and a white world, in Cycles.
"""
import argparse
import json
import math
import os

import bpy


def look_at(obj, target):
    direction = target - obj.location
    obj.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--glb", required=True)
    ap.add_argument("--cameras", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--metres-per-unit", type=float, default=2.25)
    ap.add_argument("--samples", type=int, default=16)
    args = ap.parse_args()
    cameras = json.load(open(args.cameras))
    os.makedirs(args.out, exist_ok=True)

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=os.path.abspath(args.glb))
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = args.samples
    scene.cycles.use_denoising = False
    # A narrow box filter: each pixel is its own footprint, as nerfinv's renders are.
    scene.cycles.filter_width = 1.0
    scene.render.film_transparent = True
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGBA"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0
    scene.view_settings.gamma = 1
    world = bpy.data.worlds.new("white")
    world.use_nodes = True
    world.node_tree.nodes["Background"].inputs[0].default_value = (1, 1, 1, 1)
    world.node_tree.nodes["Background"].inputs[1].default_value = 1.0
    scene.world = world
    # The rig's key light (../shared/RIG.md's default direction), for albedo materials.
    sun = bpy.data.objects.new("key", bpy.data.lights.new("key", type="SUN"))
    scene.collection.objects.link(sun)
    sun.data.energy = 3.0
    import mathutils

    key = mathutils.Vector((0.4, 0.3, 0.866)).normalized()
    look_at(sun, sun.location - key)

    cam_data = bpy.data.cameras.new("rig")
    cam = bpy.data.objects.new("rig", cam_data)
    scene.collection.objects.link(cam)
    scene.camera = cam
    for c in cameras:
        s = args.metres_per_unit
        a, e = math.radians(c["azimuth"]), math.radians(c["elevation"])
        d = c["distance"] * s
        cam.location = (d * math.cos(e) * math.cos(a), d * math.cos(e) * math.sin(a), d * math.sin(e))
        look_at(cam, mathutils.Vector((0, 0, 0)))
        cam_data.sensor_fit = "VERTICAL"
        cam_data.angle_y = math.radians(c["fov"])
        cam_data.clip_start = 0.01
        cam_data.clip_end = 100
        scene.render.resolution_x = c["size"]
        scene.render.resolution_y = c["size"]
        scene.render.resolution_percentage = 100
        scene.render.filepath = os.path.abspath(os.path.join(args.out, c["name"] + ".png"))
        bpy.ops.render.render(write_still=True)
        print(json.dumps({"rendered": scene.render.filepath}))


if __name__ == "__main__":
    main()
