#!/usr/bin/env python3
"""Out-of-domain test cars from another renderer: Blender's Cycles path tracer.

Builds its own cars from Blender meshes (bevelled boxes, cylinders; side mirrors, bumpers, roof
panel and pillars, glass cabin, tyres and metal hubs), lights them with a sun from RIG.md's
canonical direction plus a sky, path-traces them (soft shadows, inter-reflection, glossy paint and
glass come from the light transport, not from nerfinv's shading model), and writes the ShapeNet-SRN
layout of ../shared/RIG.md in the test protocol (view 0 at azimuth 35, elevation 20; views 1-24 every
15 degrees at elevations 10/30). Nothing here is shared with nerfinv's generator.

With --backgrounds each view is also rendered as a photo (photo/): the car on a textured ground
that catches its path-traced shadow, under a sky with buildings and walls beyond the camera ring,
with its mask (mask/: the car alone on a transparent film, RGBA; its alpha is the mask), as
`nerfinv generate --backgrounds` writes them (its masks are 8-bit gray; nerfinv reads either).
A rerun skips the objects already complete.

A test-data tool, not a dependency of nerfinv; its output is regenerated from a seed, never committed:

    python3 -m venv .venv-bpy && .venv-bpy/bin/pip install bpy==4.5.4
    .venv-bpy/bin/python tools/blender_cars.py --out data/cars_blender --objects 100 --seed 7
"""
import argparse
import json
import math
import os
import random
import sys
import time

import bpy
from mathutils import Matrix, Vector

UNITS_PER_METER = 0.345  # scenes/cars.json: a car's real size carries through the rig's fixed distance
DISTANCE, FOV_DEGREES = 3.0, 40.0
SUN_DIRECTION = Vector((0.3, 0.5, 0.8)).normalized()  # towards the light (RIG.md)
# (name, length m, width m, body height m, clearance m, wheel radius m, cabin length fraction,
#  cabin height m, cabin offset fraction, windscreen slope, rear slope, bed)
STYLES = [
    ("sedan", (4.3, 4.9), (1.72, 1.86), (0.48, 0.6), (0.13, 0.19), (0.3, 0.35), (0.45, 0.52), (0.4, 0.48), (-0.1, -0.02), (0.55, 0.75), (0.5, 0.7), False),
    ("hatchback", (3.7, 4.3), (1.66, 1.8), (0.5, 0.62), (0.13, 0.18), (0.29, 0.33), (0.55, 0.64), (0.45, 0.54), (-0.18, -0.1), (0.55, 0.75), (0.1, 0.3), False),
    ("suv", (4.3, 4.9), (1.82, 2.0), (0.62, 0.78), (0.2, 0.27), (0.35, 0.41), (0.6, 0.7), (0.5, 0.6), (-0.15, -0.08), (0.4, 0.55), (0.05, 0.2), False),
    ("van", (4.8, 5.4), (1.88, 2.0), (0.68, 0.82), (0.15, 0.21), (0.32, 0.37), (0.78, 0.86), (0.85, 1.05), (-0.08, -0.04), (0.3, 0.5), (0.02, 0.08), False),
    ("pickup", (5.0, 5.6), (1.85, 2.0), (0.68, 0.8), (0.21, 0.29), (0.36, 0.42), (0.3, 0.36), (0.5, 0.6), (0.05, 0.11), (0.4, 0.55), (0.02, 0.08), True),
    ("coupe", (4.2, 4.7), (1.8, 1.95), (0.44, 0.52), (0.11, 0.14), (0.31, 0.35), (0.38, 0.46), (0.33, 0.4), (-0.12, -0.05), (0.7, 0.9), (0.7, 0.95), False),
]
PAINT = [(0.6, 0.03, 0.03), (0.03, 0.1, 0.45), (0.02, 0.02, 0.02), (0.8, 0.8, 0.8), (0.4, 0.41, 0.44), (0.12, 0.13, 0.14),
         (0.02, 0.2, 0.06), (0.8, 0.55, 0.02), (0.75, 0.15, 0.02), (0.01, 0.02, 0.1), (0.2, 0.01, 0.02), (0.55, 0.48, 0.3)]


def test_views():
    return [(35.0, 20.0)] + [(15.0 * k, 10.0 if k % 2 == 0 else 30.0) for k in range(24)]


def eye(az, el, d=DISTANCE):
    a, e = math.radians(az), math.radians(el)
    return Vector((d * math.cos(e) * math.cos(a), d * math.cos(e) * math.sin(a), d * math.sin(e)))


def opencv_camera_to_world(position):
    """Columns right, down, forward (OpenCV axes), looking at the origin with +z up."""
    forward = (-position).normalized()
    right = forward.cross(Vector((0, 0, 1))).normalized()
    down = forward.cross(right)
    return right, down, forward


def material(name, colour, roughness, metallic=0.0, coat=0.0):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    b = m.node_tree.nodes["Principled BSDF"]
    b.inputs["Base Color"].default_value = (*colour, 1)
    b.inputs["Roughness"].default_value = roughness
    b.inputs["Metallic"].default_value = metallic
    if "Coat Weight" in b.inputs:
        b.inputs["Coat Weight"].default_value = coat
    return m


def box(name, centre, size, mat, bevel=0.0, taper=None):
    """A box (metres); `taper` = (front, rear) shifts of the top face's x edges, for sloped glass."""
    bpy.ops.mesh.primitive_cube_add(size=1, location=centre)
    o = bpy.context.object
    o.name = name
    o.scale = size
    bpy.ops.object.transform_apply(location=False, rotation=False, scale=True)
    if taper:
        front, rear = taper
        for v in o.data.vertices:
            if v.co.z > 0:
                v.co.x += -front if v.co.x > 0 else rear
    if bevel > 0:
        mod = o.modifiers.new("bevel", "BEVEL")
        mod.width = bevel
        mod.segments = 3
    o.data.materials.append(mat)
    return o


def cylinder(name, centre, radius, depth, mat):
    bpy.ops.mesh.primitive_cylinder_add(vertices=40, radius=radius, depth=depth, location=centre, rotation=(math.pi / 2, 0, 0))
    o = bpy.context.object
    o.name = name
    mod = o.modifiers.new("bevel", "BEVEL")
    mod.width = min(0.04, depth * 0.3)
    mod.segments = 2
    o.data.materials.append(mat)
    return o


def build_car(rng):
    name, Ls, Ws, Hs, Cs, Rs, cls, chs, cos_, wss, rss, bed = rng.choice(STYLES)
    u = lambda r: rng.uniform(*r)
    L, W, H, clear, R = u(Ls), u(Ws), u(Hs), u(Cs), u(Rs)
    cabL, cabH, cabX = u(cls) * L, u(chs), u(cos_) * L
    paint = material("paint", rng.choice(PAINT), rng.uniform(0.2, 0.4), coat=rng.uniform(0.3, 1.0))
    glass = material("glass", (0.02, 0.025, 0.035), 0.05, coat=1.0)
    tyre = material("tyre", (0.015, 0.015, 0.015), 0.9)
    metal = material("metal", (0.7, 0.7, 0.72), 0.25, metallic=1.0)
    black = material("plastic", (0.03, 0.03, 0.03), 0.6)
    head = material("headlight", (0.95, 0.95, 0.85), 0.1)
    tail = material("taillight", (0.5, 0.02, 0.02), 0.2)
    zb, zt = clear, clear + H
    box("body", (0, 0, (zb + zt) / 2), (L, W, H), paint, bevel=0.08)
    # Cabin: glass all round, a painted roof panel and four pillars.
    wsh, rsh = u(wss) * cabH, u(rss) * cabH
    box("cabin", (cabX, 0, zt + cabH / 2), (cabL, W * 0.88, cabH), glass, bevel=0.03, taper=(wsh, rsh))
    roofL = cabL - wsh - rsh
    box("roof", (cabX + (rsh - wsh) / 2, 0, zt + cabH), (roofL + 0.06, W * 0.9, 0.05), paint, bevel=0.02)
    for sx, sh in ((1, wsh), (-1, rsh)):
        for sy in (-1, 1):
            p = box("pillar", (cabX + sx * (cabL / 2 - sh / 2), sy * W * 0.445, zt + cabH / 2), (0.07, 0.05, cabH), paint)
            p.rotation_euler = (0, -sx * math.atan2(sh, cabH), 0)
    if bed:
        bedF, bedR = cabX - cabL / 2 - 0.05, -L / 2
        for sy in (-1, 1):
            box("bed wall", ((bedF + bedR) / 2, sy * (W / 2 - 0.04), zt + 0.1), (bedF - bedR, 0.08, 0.22), paint, bevel=0.02)
    # Wheels, hubs, bumpers, lights, mirrors.
    base = rng.uniform(0.57, 0.63) * L
    for x in (base / 2, -base / 2):
        for sy in (-1, 1):
            cylinder("tyre", (x, sy * (W / 2 - 0.1), R), R, 0.24, tyre)
            cylinder("hub", (x, sy * (W / 2 - 0.0), R), R * 0.55, 0.05, metal)
    for sx in (1, -1):
        box("bumper", (sx * (L / 2 + 0.03), 0, zb + 0.12), (0.1, W * 0.96, 0.16), black, bevel=0.03)
        for sy in (-1, 1):
            box("light", (sx * (L / 2 + 0.005), sy * W * 0.36, zb + H * 0.62), (0.04, W * 0.18, 0.09), head if sx > 0 else tail, bevel=0.01)
    for sy in (-1, 1):
        box("mirror", (cabX + cabL / 2 - wsh - 0.05, sy * (W / 2 + 0.09), zt + 0.12), (0.1, 0.16, 0.09), paint, bevel=0.02)
    return name


def normalise_scene():
    """Scale to the family's units, then move the bounding-box centre to the origin (RIG.md)."""
    objs = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    for o in objs:
        o.location *= UNITS_PER_METER
        o.scale *= UNITS_PER_METER
    bpy.context.view_layer.update()
    lo, hi = Vector((1e9,) * 3), Vector((-1e9,) * 3)
    for o in objs:
        for c in o.bound_box:
            w = o.matrix_world @ Vector(c)
            lo = Vector(map(min, lo, w))
            hi = Vector(map(max, hi, w))
    centre, half = (lo + hi) / 2, max((hi - lo) / 2)
    s = min(1.0, 0.98 / half)
    for o in objs:
        o.location = (o.location - centre) * s
        o.scale *= s


def setup_world_and_render(size, samples):
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = samples
    scene.cycles.use_denoising = False
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    # Camera rays see pure white (RIG.md's background); light paths see a dimmer sky (ambient).
    world = bpy.data.worlds.new("sky")
    scene.world = world
    world.use_nodes = True
    nt = world.node_tree
    nt.nodes.clear()
    out = nt.nodes.new("ShaderNodeOutputWorld")
    path = nt.nodes.new("ShaderNodeLightPath")
    mix = nt.nodes.new("ShaderNodeMixShader")
    sky, white = nt.nodes.new("ShaderNodeBackground"), nt.nodes.new("ShaderNodeBackground")
    sky.inputs["Strength"].default_value = 0.45
    white.inputs["Strength"].default_value = 1.0
    for n in (sky, white):
        n.inputs["Color"].default_value = (1, 1, 1, 1)
    nt.links.new(path.outputs["Is Camera Ray"], mix.inputs["Fac"])
    nt.links.new(sky.outputs["Background"], mix.inputs[1])
    nt.links.new(white.outputs["Background"], mix.inputs[2])
    nt.links.new(mix.outputs["Shader"], out.inputs["Surface"])
    sun_data = bpy.data.lights.new("sun", "SUN")
    sun_data.energy = 2.2
    sun_data.angle = math.radians(3)
    sun = bpy.data.objects.new("sun", sun_data)
    scene.collection.objects.link(sun)
    sun.rotation_euler = SUN_DIRECTION.to_track_quat("Z", "Y").to_euler()  # the lamp's +Z points at the light
    cam_data = bpy.data.cameras.new("camera")
    cam_data.sensor_fit = "VERTICAL"
    cam_data.angle_y = math.radians(FOV_DEGREES)
    cam = bpy.data.objects.new("camera", cam_data)
    scene.collection.objects.link(cam)
    scene.camera = cam
    return cam


def add_surroundings(rng):
    """A ground plane at the wheels (noise-textured, catching the car's shadow), and boxes beyond the
    camera ring (buildings, walls); returns the objects, so the mask pass can hide them."""
    bpy.context.view_layer.update()  # world matrices after normalise_scene moved the parts
    objs = [o for o in bpy.context.scene.objects if o.type == "MESH"]
    ground_z = min((o.matrix_world @ Vector(c)).z for o in objs for c in o.bound_box)
    added = []
    bpy.ops.mesh.primitive_plane_add(size=60, location=(0, 0, ground_z - 1e-3))
    ground = bpy.context.active_object
    mat = bpy.data.materials.new("ground")
    mat.use_nodes = True
    nt = mat.node_tree
    bsdf = nt.nodes["Principled BSDF"]
    noise, ramp = nt.nodes.new("ShaderNodeTexNoise"), nt.nodes.new("ShaderNodeValToRGB")
    noise.inputs["Scale"].default_value = rng.uniform(2, 12)
    base = [rng.uniform(0.05, 0.45) for _ in range(3)]
    ramp.color_ramp.elements[0].color = (*[c * 0.6 for c in base], 1)
    ramp.color_ramp.elements[1].color = (*base, 1)
    nt.links.new(noise.outputs["Fac"], ramp.inputs["Fac"])
    nt.links.new(ramp.outputs["Color"], bsdf.inputs["Base Color"])
    bsdf.inputs["Roughness"].default_value = 0.9
    ground.data.materials.append(mat)
    added.append(ground)
    for _ in range(rng.randint(3, 8)):
        a, r = rng.uniform(0, 2 * math.pi), rng.uniform(6, 14)
        size = (rng.uniform(1.5, 4), rng.uniform(1.5, 4), rng.uniform(1.5, 6))
        bpy.ops.mesh.primitive_cube_add(size=1, location=(r * math.cos(a), r * math.sin(a), ground_z + size[2] / 2))
        b = bpy.context.active_object
        b.scale = size
        m = bpy.data.materials.new("building")
        m.use_nodes = True
        m.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*[rng.uniform(0.1, 0.7) for _ in range(3)], 1)
        b.data.materials.append(m)
        added.append(b)
    return added


def set_camera_background(sky):
    """Camera rays see white (the rig's background) or, for photos, a sky graded to the horizon."""
    nt = bpy.context.scene.world.node_tree
    white = [n for n in nt.nodes if n.type == "BACKGROUND"][1]
    white.inputs["Color"].default_value = (0.55, 0.7, 0.95, 1) if sky else (1, 1, 1, 1)
    white.inputs["Strength"].default_value = 1.0


def render_to(path, transparent=False):
    scene = bpy.context.scene
    scene.render.film_transparent = transparent
    scene.render.image_settings.color_mode = "RGBA" if transparent else "RGB"
    scene.render.filepath = path
    bpy.ops.render.render(write_still=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--samples", type=int, default=64, help="path-traced samples per pixel")
    ap.add_argument("--backgrounds", action="store_true", help="also render photos with surroundings and masks")
    ap.add_argument("--photo-views", type=int, default=25,
                    help="with --backgrounds: photos of the first N views only (view 0 is the input; the scored "
                         "views stay over white); views whose rgb/ file exists are not rendered again")
    args = ap.parse_args(sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:])
    size = args.resolution
    focal = (size / 2) / math.tan(math.radians(FOV_DEGREES / 2))
    os.makedirs(args.out, exist_ok=True)
    styles, t0 = {}, time.time()
    for index in range(args.objects):
        rng = random.Random(args.seed * 1_000_003 + index)
        bpy.ops.wm.read_factory_settings(use_empty=True)
        cam = setup_world_and_render(size, args.samples)
        style = build_car(rng)
        normalise_scene()
        styles[style] = styles.get(style, 0) + 1
        obj_dir = os.path.join(args.out, "blender-s%d-%05d" % (args.seed, index))
        subs = ("rgb", "pose") + (("photo", "mask") if args.backgrounds else ())
        wanted = {"rgb": 25, "pose": 25, "photo": args.photo_views, "mask": args.photo_views}
        if all(os.path.isdir(os.path.join(obj_dir, sub)) and len(os.listdir(os.path.join(obj_dir, sub))) >= wanted[sub]
               for sub in subs):
            continue  # complete from an earlier run (the same seed draws the same car)
        for sub in subs:
            os.makedirs(os.path.join(obj_dir, sub), exist_ok=True)
        surroundings = add_surroundings(random.Random(args.seed * 7_000_003 + index)) if args.backgrounds else []
        for o in surroundings:
            o.hide_render = True
        with open(os.path.join(obj_dir, "intrinsics.txt"), "w") as f:
            f.write("%f %f %f 0.\n0. 0. 0.\n1.\n%d %d\n" % (focal, size / 2, size / 2, size, size))
        for v, (az, el) in enumerate(test_views()):
            position = eye(az, el)
            right, down, forward = opencv_camera_to_world(position)
            # Blender's camera looks down its -Z with +Y up.
            cam.matrix_world = Matrix((
                (right.x, -down.x, -forward.x, position.x),
                (right.y, -down.y, -forward.y, position.y),
                (right.z, -down.z, -forward.z, position.z),
                (0, 0, 0, 1)))
            rgb = os.path.join(obj_dir, "rgb", "%06d.png" % v)
            if not os.path.exists(rgb):  # a set copied from the white-background run keeps its views
                render_to(rgb)
            if args.backgrounds and v < args.photo_views:
                # The photo: surroundings shown, a sky for camera rays; then the car alone on a
                # transparent film for its mask (alpha), a few samples being enough for coverage.
                for o in surroundings:
                    o.hide_render = False
                set_camera_background(sky=True)
                render_to(os.path.join(obj_dir, "photo", "%06d.png" % v))
                for o in surroundings:
                    o.hide_render = True
                set_camera_background(sky=False)
                samples = bpy.context.scene.cycles.samples
                bpy.context.scene.cycles.samples = 4
                render_to(os.path.join(obj_dir, "mask", "%06d.png" % v), transparent=True)
                bpy.context.scene.cycles.samples = samples
            pose = [right.x, down.x, forward.x, position.x, right.y, down.y, forward.y, position.y,
                    right.z, down.z, forward.z, position.z, 0, 0, 0, 1]
            with open(os.path.join(obj_dir, "pose", "%06d.txt" % v), "w") as f:
                f.write(" ".join("%.9f" % x for x in pose) + "\n")
        print("object %d/%d (%s) %.0f s" % (index + 1, args.objects, style, time.time() - t0), flush=True)
    with open(os.path.join(args.out, "dataset.json"), "w") as f:
        json.dump({"scene": "cars", "renderer": "blender-cycles", "seed": args.seed, "protocol": "test", "objects": args.objects,
                   "views": 25, "resolution": size, "samples": args.samples, "styles": styles}, f, indent=2, sort_keys=True)


if __name__ == "__main__":
    main()
