import ArgumentParser
import FileIO
import Foundation
import Pipeline

/// `nerfinv export-mesh`: a latent as a coloured triangle mesh.
struct ExportMesh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-mesh",
        abstract: "Export a latent as a mesh (.glb or .obj with a UV texture, .ply with vertex colours) and normals.",
        discussion: """
            Marching cubes on the field's density (coarse lattice first, then only the cells the surface \
            crosses at --resolution), normals from the density gradient, colours from the field seen \
            head-on under the canonical light (or --light photo), components under --min-component of \
            the triangles removed as floaters, optionally simplified to --max-faces (quadric edge \
            collapse, keeping the surface closed). The tuned decoder's <name>.delta beside the latent is \
            used when present.

            GLB and OBJ are textured: the mesh is simplified to --max-faces (default 50000), cut into \
            charts that each face one of six axis directions, packed in a --texture-size atlas (default \
            1024) and the field's albedo baked into it: the colour with the key light and the sky taken \
            out, so the asset relights in any renderer (roughness 0.5, a constant). --baked-light bakes the \
            colour under the light instead, for an unlit material. --texture-size 0 writes vertex colours. \
            Where the photo invert saw (<stem>_input.png) shows the surface, the texture takes its pixels, \
            mirrored onto the hidden side; the GLB carries a second texture saying which texels are seen, \
            mirrored or the model's (--no-photo-detail: the model's colour everywhere).

            The default --threshold is ln 2 / (k δ) with δ = 2 · box / samples per ray: the density at \
            which a layer k render samples thick turns half opaque (k = 1 for the lit fields, 3 for the \
            first generation's), as a ray grazing the silhouette \
            crosses the surface (the model's value is printed). --check reports how well the mesh's \
            silhouette matches the rendered alpha at the 25 test views.

            Meshes are in metres with +y up (glTF's convention, used for every format): the rig's world \
            (+z up, box units) is scaled by --metres-per-unit (2.25: a car is about 4.5 m long).

            Examples:
              nerfinv export-mesh --latent car.latent --out car.glb
              nerfinv export-mesh --latent car.latent --out car.ply --resolution 384 --max-faces 200000
              nerfinv export-mesh --latent car.latent --out car.obj    # also writes car.mtl, car.png
            """
    )

    @OptionGroup var memory: MemoryOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Latent file (JSON) from invert or fit.")
    var latent: String

    @Option(help: "Mesh file: .glb, .ply or .obj (with a .mtl beside it).")
    var out: String

    @OptionGroup var mesh: MeshOptions

    @Option(help: "Metres per unit of the rig's box.")
    var metresPerUnit: Float = MeshFrame.carMetresPerUnit

    @Option(help: "Also write a PNG of the mesh from four sides, shaded as a viewer shows it.")
    var preview: String?

    @Flag(help: "Also compare the mesh's silhouette with the field's alpha at the 25 test views (IoU).")
    var check = false

    @OptionGroup var lightOptions: LightOptions
    @OptionGroup var output: OutputOptions

    var settings: MeshSettings { mesh.settings }

    func validate() throws {
        _ = try checked(settings)
        guard metresPerUnit.isFinite, metresPerUnit > 0 else { throw ValidationError("--metres-per-unit must be > 0") }
    }

    func run() throws {
        let exporter = try MeshExporters.exporter(for: out)
        var plan = OutputPlan(
            inputs: LatentScene.inputs(ofLatent: latent) + [LatentPhoto.path(forLatent: latent), modelOptions.model])
        for file in exporter.files(for: out, textured: MeshExport.textured(exporter, settings)) {
            try plan.add(file: file)
        }
        if let preview { try plan.add(file: preview) }
        let model = try modelOptions.load()
        let scene = try LatentScene.load(latent, model: model)
        let light = try lightOptions.resolve(scene.latent, path: latent)
        let wantsPhoto = settings.photoDetail && MeshExport.textured(exporter, settings)
        let (photo, why) = wantsPhoto ? try LatentPhoto.load(latentPath: latent, latent: scene.latent) : (nil, nil)
        if let why { output.note(why) }
        let o = try MeshExport.write(
            scene: scene, settings: settings, frame: MeshFrame(metresPerUnit: metresPerUnit), light: light,
            photo: photo, to: out, check: check, preview: preview
        ) { stage in output.note("export-mesh: \(stage)") }
        output.report(o.fields, o.summary + (scene.deltaPath.map { "\n  with the tuned decoder \($0)" } ?? ""))
    }
}
