import Foundation
import NeuralCore

/// Builds a chair in metres, floor at z = 0, the seat facing +x (the back at -x): a seat, a back
/// (solid or slatted between two posts, tilted), legs (four, a pedestal with a five-spoke base, or
/// sled runners) and optional armrests.
struct ChairGenerator {
    let spec: SceneSpec

    func make(_ t: ChairType, _ rng: inout SplitMix64) -> SceneObject {
        let sw = t.seatWidth.sample(&rng), sd = t.seatDepth.sample(&rng), sh = t.seatHeight.sample(&rng)
        let st = t.seatThickness.sample(&rng), bh = t.backHeight.sample(&rng)
        let tilt = t.backTilt.sample(&rng) * .pi / 180, lt = t.legThickness.sample(&rng)
        let slats = Int(t.slats.sample(&rng).rounded())

        var materials: [Material] = []
        func material(_ c: Vec3) -> Int {
            materials.append(Material(albedo: c))
            return materials.count - 1
        }
        let frameColour = rng.nextFloat() < 0.6 ? spec.colour("wood", &rng) : spec.colour("metal", &rng)
        let frame = material(frameColour)
        let seat = material(rng.nextFloat() < 0.5 ? frameColour : spec.colour("fabric", &rng))
        let back = rng.nextFloat() < 0.7 ? seat : material(spec.colour("fabric", &rng))

        var prims: [SDFPrimitive] = []
        let seatTop = sh, seatZ = sh - st / 2
        prims.append(
            SDFPrimitive(
                .roundBox(half: Vec3(sd / 2, sw / 2, st / 2), radius: min(0.02, st / 2 - 0.002)),
                frame: Frame(center: Vec3(0, 0, seatZ)), material: seat))

        // Back: leaning backwards by `tilt`, standing on the rear edge of the seat.
        let backT: Float = 0.035
        let backBase = Vec3(-sd / 2 + backT / 2, 0, seatTop)
        let up = Vec3(-sin(tilt), 0, cos(tilt))
        if slats <= 0 {
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(backT / 2, sw / 2, bh / 2), radius: 0.015),
                    frame: Frame(center: backBase + up * (bh / 2), pitch: -tilt), material: back))
        } else {
            for s: Float in [-1, 1] {  // posts
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(lt / 2, lt / 2, bh / 2), radius: 0.008),
                        frame: Frame(
                            center: backBase + up * (bh / 2) + Vec3(0, s * (sw / 2 - lt / 2), 0), pitch: -tilt),
                        material: frame))
            }
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(backT / 2, sw / 2, 0.05), radius: 0.012),
                    frame: Frame(center: backBase + up * (bh - 0.05), pitch: -tilt), material: back))
            let inner = sw - 2 * lt
            for k in 0..<slats {
                let y = -inner / 2 + inner * (Float(k) + 0.5) / Float(slats)
                prims.append(
                    SDFPrimitive(
                        .roundBox(
                            half: Vec3(backT / 2 * 0.8, min(0.03, inner / Float(2 * slats + 1)), (bh - 0.1) / 2),
                            radius: 0.006),
                        frame: Frame(center: backBase + up * ((bh - 0.1) / 2) + Vec3(0, y, 0), pitch: -tilt),
                        material: back))
            }
        }

        // Legs.
        let legZ = (seatTop - st) / 2, legH = seatTop - st
        switch t.legs {
        case "pedestal":
            prims.append(
                SDFPrimitive(
                    .cylinder(radius: lt * 0.7, halfLength: legH / 2 - 0.03, rounding: 0.005),
                    frame: Frame(center: Vec3(0, 0, legZ + 0.03), pitch: 0).rotatedUpright(), material: frame))
            for k in 0..<5 {
                let yaw = Float(k) * 2 * .pi / 5 + 0.3
                let arm = max(sd, sw) * 0.5
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(arm / 2, 0.022, 0.02), radius: 0.01),
                        frame: Frame(center: Vec3(cos(yaw) * arm / 2, sin(yaw) * arm / 2, 0.06), yaw: yaw),
                        material: frame))
                prims.append(
                    SDFPrimitive(
                        .sphere(radius: 0.03),
                        frame: Frame(center: Vec3(cos(yaw) * arm, sin(yaw) * arm, 0.03)), material: frame))
            }
        case "sled":
            for s: Float in [-1, 1] {
                let y = s * (sw / 2 - lt / 2)
                prims.append(
                    SDFPrimitive(
                        .capsule(halfLength: sd / 2, radius: lt / 2), frame: Frame(center: Vec3(0, y, lt / 2)),
                        material: frame))
                for x in [sd / 2 - lt, -sd / 2 + lt] {
                    prims.append(
                        SDFPrimitive(
                            .capsule(halfLength: legH / 2, radius: lt / 2),
                            frame: Frame(center: Vec3(x, y, legH / 2 + lt / 2), pitch: -.pi / 2), material: frame))
                }
            }
        default:
            for (x, y) in [
                (sd / 2 - lt / 2, sw / 2 - lt / 2), (sd / 2 - lt / 2, -sw / 2 + lt / 2),
                (-sd / 2 + lt / 2, sw / 2 - lt / 2), (-sd / 2 + lt / 2, -sw / 2 + lt / 2),
            ] {
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(lt / 2, lt / 2, legH / 2), radius: min(0.01, lt / 2 - 0.001)),
                        frame: Frame(center: Vec3(x, y, legZ)), material: frame))
            }
        }

        // Armrests: a rail on two supports each side.
        if rng.nextFloat() < Float(t.arms) {
            let armH: Float = 0.22
            for s: Float in [-1, 1] {
                let y = s * (sw / 2 + 0.025)
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(sd * 0.45, 0.03, 0.02), radius: 0.01),
                        frame: Frame(center: Vec3(-0.02, y, seatTop + armH)), material: frame))
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(0.018, 0.018, armH / 2), radius: 0.006),
                        frame: Frame(center: Vec3(sd * 0.35, y, seatTop + armH / 2 - 0.01)), material: frame))
            }
        }
        return SceneObject(primitives: prims, materials: materials)
    }
}

extension Frame {
    /// The cylinder primitive runs along local y; this turns it upright (along world z).
    func rotatedUpright() -> Frame {
        var f = self
        f.axes = (Vec3(1, 0, 0), Vec3(0, 0, 1), Vec3(0, -1, 0))
        return f
    }
}
