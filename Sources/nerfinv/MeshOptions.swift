import ArgumentParser
import Pipeline

/// `export-mesh`'s surface and texture flags, as `MeshSettings`.
struct MeshOptions: ParsableArguments {
    @Option(help: "Marching-cubes cells per axis of the box (a multiple of 4).")
    var resolution: Int = 256

    @Option(help: "Surface density (default: ln 2 / sample spacing of the model's rays).")
    var threshold: Float?

    @Option(help: "Remove components with fewer than this fraction of the triangles (floaters).")
    var minComponent: Double = 0.02

    @Option(help: "Simplify to at most this many triangles (default: 50000 when textured, else all).")
    var maxFaces: Int?

    @Option(help: "Side of the GLB's and OBJ's base-colour texture in texels; 0 writes vertex colours.")
    var textureSize: Int = MeshSettings().textureSize

    @Flag(
        help: "Bake the light into the texture (the look of the renders; an unlit GLB material) instead of the albedo.")
    var bakedLight = false

    @Flag(help: "Keep the model's colour everywhere: no pixels of the input photo (<stem>_input.png) on the texture.")
    var noPhotoDetail = false

    var settings: MeshSettings {
        var s = MeshSettings()
        s.resolution = resolution
        s.threshold = threshold
        s.minComponentFraction = minComponent
        s.maxTriangles = maxFaces
        s.textureSize = textureSize
        s.bakedLight = bakedLight
        s.photoDetail = !noPhotoDetail
        return s
    }
}
