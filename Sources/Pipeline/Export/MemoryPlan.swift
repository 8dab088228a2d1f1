import Foundation
import Model
import NeuralCore

/// What a command's size flags ask of memory, checked against the `--max-memory` budget
/// (`MemoryBudget`, the training runs' too) before any work: `export-mesh --resolution 1024` once
/// reached 7.5 GB with no warning. Each estimate counts the buffers that grow with the flag.
public enum MemoryPlan {
    /// Bytes a rendered pixel holds until it is written: RGBA floats (16), depth (4), the PNG's
    /// byte rows (4) and the clamped copy's (4).
    static let bytesPerRenderedPixel = 28.0
    /// Bytes a kept frame holds (RGBA floats).
    static let bytesPerKeptPixel = 16.0

    /// `count` frames of `side`² pixels rendered one at a time, `kept` of them held (at `keptSide`²
    /// each) until the end.
    public static func checkFrames(side: Int, kept: Int = 0, keptSide: Int? = nil, what: String) throws {
        let s = Double(side), k = Double(keptSide ?? side)
        try MemoryBudget.check(
            s * s * bytesPerRenderedPixel + Double(kept) * k * k * bytesPerKeptPixel, for: what)
    }

    /// A mesh at `resolution` cells a side: the fine lattice's densities and flags ((R + 1)³ x 5
    /// bytes), and the surface (about 64 R² vertices, 48 bytes each with normals, colours and indices).
    public static func meshBytes(resolution R: Int) -> Double {
        let F = Double(R + 1)
        return F * F * F * 5 + 64 * Double(R) * Double(R) * 48
    }

    /// A texture of `side`² texels while it is baked: RGBA floats and their grown copy (32), the
    /// owner and coverage maps (5), each covered texel's point, normal and colour (up to 40), the PNG's rows (4).
    public static func textureBytes(side: Int) -> Double { Double(side) * Double(side) * 81 }

    /// The mesh and, when `textured`, its texture.
    public static func checkMesh(_ settings: MeshSettings, textured: Bool = false) throws {
        try MemoryBudget.check(
            meshBytes(resolution: settings.resolution), for: "a mesh at --resolution \(settings.resolution)")
        if textured {
            try MemoryBudget.check(
                meshBytes(resolution: settings.resolution) + textureBytes(side: settings.textureSize),
                for: "a mesh at --resolution \(settings.resolution) with a \(settings.textureSize)² texture")
        }
    }
}
