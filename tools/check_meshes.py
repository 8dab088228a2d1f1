"""Reads nerfinv's mesh files back with independent readers (trimesh, pygltflib) and checks them.

Usage: python tools/check_meshes.py MESH... ; prints one JSON line per file and exits non-zero when
a file does not load or breaks a check (vertex count, colours or texture, normals, watertightness,
+y up). A textured GLB or OBJ has its PNG decoded here (png_io.py) and the texture sampled at
every vertex's coordinates.
"""
import json
import os
import sys

import numpy as np
import pygltflib
import trimesh

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_io import decode_png  # noqa: E402


def sample(texture, uv):
    """Nearest texels at glTF coordinates (u right, v down from the top row), 0...1 RGB."""
    h, w = texture.shape[:2]
    x = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
    y = np.clip((uv[:, 1] * h).astype(int), 0, h - 1)
    return texture[y, x, :3].astype(float) / 255


def accessor(g, index, width):
    acc = g.accessors[index]
    view = g.bufferViews[acc.bufferView]
    raw = g.binary_blob()[view.byteOffset + (acc.byteOffset or 0) : view.byteOffset + view.byteLength]
    return np.frombuffer(raw, dtype="<f4").reshape(-1, width)


def check(path):
    out = {"file": path}
    colours = None
    if path.endswith(".glb"):
        g = pygltflib.GLTF2().load(path)
        prim = g.meshes[0].primitives[0]
        out["attributes"] = sorted(k for k, v in prim.attributes.__dict__.items() if v is not None)
        assert g.asset.version == "2.0", "glTF version"
        textured = "TEXCOORD_0" in out["attributes"]
        for needed in ("POSITION", "NORMAL", "TEXCOORD_0" if textured else "COLOR_0"):
            assert needed in out["attributes"], f"{needed} missing"
        count = g.accessors[prim.attributes.POSITION].count
        if textured:
            # The material's base colour is the embedded PNG, sampled at every vertex.
            pbr = g.materials[prim.material].pbrMetallicRoughness
            image = g.images[g.textures[pbr.baseColorTexture.index].source]
            assert image.mimeType == "image/png", "texture type"
            view = g.bufferViews[image.bufferView]
            texture = decode_png(g.binary_blob()[view.byteOffset : view.byteOffset + view.byteLength])
            out["texture"] = list(texture.shape[:2])
            uv = accessor(g, prim.attributes.TEXCOORD_0, 2)
            assert len(uv) == count and uv.min() >= 0 and uv.max() <= 1, "one coordinate in 0...1 per vertex"
            colours = sample(texture, uv)
        else:
            # trimesh keeps a glTF material's look and drops COLOR_0: read it with pygltflib.
            colours = accessor(g, prim.attributes.COLOR_0, 3)
            assert len(colours) == count, "one colour per vertex"
        out["colour_count"] = int(len(colours))
        mesh = trimesh.load(path, force="mesh", process=False)
    else:
        mesh = trimesh.load(path, force="mesh", process=False)
        if path.endswith(".obj"):
            colours = check_obj_texture(path, out)
    # Marching-cubes vertices are shared by their triangles, and an atlas splits them along its
    # seams: merging by position (whatever the texture coordinates) only drops those copies.
    mesh.merge_vertices(merge_tex=True, merge_norm=True)
    out["vertices"] = int(len(mesh.vertices))
    out["faces"] = int(len(mesh.faces))
    out["watertight"] = bool(mesh.is_watertight)
    if colours is None:
        if hasattr(mesh.visual, "vertex_colors"):
            colours = np.asarray(mesh.visual.vertex_colors, dtype=float)
        elif "color" in mesh.vertex_attributes:  # OBJ with a material: trimesh keeps the colours here
            colours = np.asarray(mesh.vertex_attributes["color"], dtype=float)
    out["coloured"] = colours is not None and float(np.std(colours[:, :3])) > 0
    extent = mesh.bounds[1] - mesh.bounds[0]
    out["extent_m"] = [round(float(e), 3) for e in extent]
    # A car lies flat: its height (y, up) is its smallest extent, its length (x) the largest.
    out["y_up"] = bool(extent[1] < extent[0] and extent[1] < extent[2])
    ok = out["faces"] > 0 and out["watertight"] and out["coloured"] and out["y_up"]
    return ok, out


def check_obj_texture(path, out):
    """A textured OBJ's texture (the MTL's map_Kd) sampled at its vt lines; None without one."""
    folder = os.path.dirname(path)
    lines = open(path).read().splitlines()
    mtl = next(l.split(None, 1)[1] for l in lines if l.startswith("mtllib "))
    maps = [l.split(None, 1)[1] for l in open(os.path.join(folder, mtl)).read().splitlines() if l.startswith("map_Kd ")]
    if not maps:
        return None
    texture = decode_png(open(os.path.join(folder, maps[0]), "rb").read())
    out["texture"] = list(texture.shape[:2])
    vt = np.array([[float(x) for x in l.split()[1:3]] for l in lines if l.startswith("vt ")])
    assert len(vt) == sum(1 for l in lines if l.startswith("v ")), "one texture coordinate per vertex"
    # OBJ's v runs up from the bottom row.
    return sample(texture, np.stack([vt[:, 0], 1 - vt[:, 1]], axis=1))


def main():
    failed = False
    for path in sys.argv[1:]:
        try:
            ok, out = check(path)
        except Exception as e:  # a file a reader cannot load is a failure, not a crash
            ok, out = False, {"file": path, "error": str(e)}
        out["ok"] = ok
        print(json.dumps(out))
        failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
