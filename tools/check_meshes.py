"""Reads nerfinv's mesh files back with independent readers (trimesh, pygltflib) and checks them.

Usage: python tools/check_meshes.py MESH... ; prints one JSON line per file and exits non-zero when
a file does not load or breaks a check (vertex count, colours, normals, watertightness, +y up).
"""
import json
import sys

import numpy as np
import pygltflib
import trimesh


def check(path):
    out = {"file": path}
    colours = None
    if path.endswith(".glb"):
        g = pygltflib.GLTF2().load(path)
        prim = g.meshes[0].primitives[0]
        out["attributes"] = sorted(k for k, v in prim.attributes.__dict__.items() if v is not None)
        assert g.asset.version == "2.0", "glTF version"
        for needed in ("POSITION", "NORMAL", "COLOR_0"):
            assert needed in out["attributes"], f"{needed} missing"
        # trimesh keeps a glTF material's look and drops COLOR_0: read it with pygltflib.
        acc = g.accessors[prim.attributes.COLOR_0]
        view = g.bufferViews[acc.bufferView]
        raw = g.binary_blob()[view.byteOffset + (acc.byteOffset or 0) : view.byteOffset + view.byteLength]
        colours = np.frombuffer(raw, dtype="<f4").reshape(-1, 3)
        out["colour_count"] = int(len(colours))
        assert acc.count == g.accessors[prim.attributes.POSITION].count, "one colour per vertex"
        mesh = trimesh.load(path, force="mesh", process=False)
    else:
        mesh = trimesh.load(path, force="mesh", process=False)
    # Marching-cubes vertices are shared by their triangles: merging only drops exact duplicates.
    mesh.merge_vertices()
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
