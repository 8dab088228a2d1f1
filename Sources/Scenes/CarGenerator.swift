import Foundation
import NeuralCore

/// Builds a car from a body style, in metres with the ground at z = 0 and the front towards +x:
/// lower body with a sloping bonnet, a glasshouse cabin cut by windscreen and rear-window planes,
/// four wheels with hubs, headlights and grille at the front, red tail lights at the back, bumpers,
/// and a bed for pickups. Front and back differ in colour and shape, so one view fixes the pose.
struct CarGenerator {
    let spec: SceneSpec

    /// `surfaces` is a stream of its own for the parts' reflectance and roughness, so a scene file
    /// that adds or changes `surfaces` keeps the same cars.
    /// `details` is a third stream for the optional parts and paint of `spec.details`.
    func make(_ t: CarType, _ rng: inout SplitMix64, surfaces: inout SplitMix64, details: inout SplitMix64)
        -> SceneObject
    {
        let L = t.length.sample(&rng), W = t.width.sample(&rng)
        let bodyH = t.bodyHeight.sample(&rng), clearance = t.clearance.sample(&rng)
        let wheelR = t.wheelRadius.sample(&rng), wheelW = t.wheelWidth.sample(&rng)
        let wheelbase = t.wheelbase.sample(&rng) * L
        let cabinL = t.cabinLength.sample(&rng) * L, cabinH = t.cabinHeight.sample(&rng)
        let cabinX = t.cabinOffset.sample(&rng) * L, cabinW = t.cabinWidth.sample(&rng) * W
        let alpha = t.windshield.sample(&rng) * .pi / 180, beta = t.rearWindow.sample(&rng) * .pi / 180
        let hoodDrop = t.hoodDrop.sample(&rng), rounding = t.rounding.sample(&rng)

        var materials: [Material] = []
        func material(_ albedo: Vec3, _ part: String, glass: Material.Glasshouse? = nil) -> Int {
            var m = Material(albedo: albedo, glass: glass)
            if let r = spec.surfaces?[part] {
                m.specular = r.specular.sample(&surfaces)
                m.roughness = r.roughness.sample(&surfaces)
            }
            if var g = m.glass, let r = spec.surfaces?["window"] {
                g.specular = r.specular.sample(&surfaces)
                g.roughness = r.roughness.sample(&surfaces)
                m.glass = g
            }
            materials.append(m)
            return materials.count - 1
        }
        // Which optional parts this car has, all from the details stream.
        let d = spec.details ?? CarDetails()
        func has(_ p: Double) -> Bool { p > 0 && details.nextDouble() < p }
        let (hasMirrors, hasRails, hasSpoiler, hasSpokes) = (
            has(d.mirrors), has(d.roofRails), has(d.spoiler), has(d.spokes)
        )
        let (hasDoorLines, twoTone, hasStripe) = (has(d.doorLines), has(d.twoTone), has(d.stripes))
        let bodyColour = spec.colour("body", &rng)
        let body = material(bodyColour, "body")
        let tyre = material(spec.colour("tyre", &rng), "tyre")
        let hub = material(spec.colour("hub", &rng), "hub")
        let headlight = material(spec.colour("headlight", &rng, jitter: false), "headlight")
        let taillight = material(spec.colour("taillight", &rng, jitter: false), "taillight")
        let trimmed = rng.nextFloat() < 0.5
        let trim = material(trimmed ? spec.colour("trim", &rng) : bodyColour, trimmed ? "trim" : "body")
        let windowColour = spec.colour("window", &rng)

        var prims: [SDFPrimitive] = []
        let zBottom = clearance, zTop = clearance + bodyH
        let zMid = (zBottom + zTop) / 2

        // Lower body; the bonnet falls by hoodDrop over its front 30%.
        let hoodRun = 0.3 * L
        let hoodNormal = normalize(Vec3(hoodDrop, 0, hoodRun))
        let hoodPoint = Vec3(L / 2, 0, bodyH / 2 - hoodDrop)
        let bed = t.bed ?? false
        prims.append(
            SDFPrimitive(
                .roundBox(half: Vec3(L / 2, W / 2, bodyH / 2), radius: min(rounding, bodyH / 2 - 0.01)),
                frame: Frame(center: Vec3(0, 0, zMid)), material: body,
                cuts: [(hoodNormal, dot(hoodNormal, hoodPoint))]))

        // Cabin: a rounded box sitting on the belt line, cut by the windscreen and rear-window planes.
        let overlap: Float = 0.06
        let cabinHalf = Vec3(cabinL / 2, cabinW / 2, (cabinH + overlap) / 2)
        let cabinCentre = Vec3(cabinX, 0, zTop - overlap + cabinHalf.z)
        let ta = tan(alpha), tb = tan(beta)
        let frontN = normalize(Vec3(1, 0, ta)), rearN = normalize(Vec3(-1, 0, tb))
        let beltLocal = -cabinHalf.z + overlap
        let frontPoint = Vec3(cabinHalf.x, 0, beltLocal), rearPoint = Vec3(-cabinHalf.x, 0, beltLocal)
        let roofRun = cabinL - (ta + tb) * cabinH
        // A B pillar splits the side glass of any cabin with a real roof; long cabins get a C pillar too.
        let sideFront = cabinX + cabinL / 2 - ta * cabinH / 2, sideRear = cabinX - cabinL / 2 + tb * cabinH / 2
        let span = sideFront - sideRear
        var pillars: [Float] = roofRun > 0.5 ? [sideRear + 0.55 * span] : []
        if roofRun > 1.7 { pillars.append(sideRear + 0.22 * span) }
        let glass = Material.Glasshouse(
            albedo: windowColour, beltZ: zTop + 0.03, roofZ: zTop + cabinH,
            frontX: cabinX + cabinL / 2, frontSlope: ta, rearX: cabinX - cabinL / 2, rearSlope: tb,
            pillarX: pillars, pillarHalfWidth: 0.05, halfWidth: cabinW / 2)
        let cabin = material(twoTone ? spec.colour("body", &details) : bodyColour, "body", glass: glass)
        prims.append(
            SDFPrimitive(
                .roundBox(half: cabinHalf, radius: min(rounding * 1.3, cabinHalf.z - 0.02)),
                frame: Frame(center: cabinCentre), material: cabin,
                cuts: [(frontN, dot(frontN, frontPoint)), (rearN, dot(rearN, rearPoint))]))

        // Pickup bed: side walls and a tailgate behind the cabin, rising above the deck.
        if bed {
            let bedFront = cabinX - cabinL / 2 - 0.05, bedRear = -L / 2
            let bedLen = bedFront - bedRear, wallH: Float = 0.22, wallT: Float = 0.07
            for s: Float in [-1, 1] {
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(bedLen / 2, wallT / 2, wallH / 2), radius: 0.02),
                        frame: Frame(
                            center: Vec3((bedFront + bedRear) / 2, s * (W / 2 - wallT / 2), zTop + wallH / 2 - 0.02)),
                        material: body))
            }
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(wallT / 2, W / 2, wallH / 2), radius: 0.02),
                    frame: Frame(center: Vec3(bedRear + wallT / 2, 0, zTop + wallH / 2 - 0.02)), material: body))
        }

        // Wheels: tyres stand on the ground (z = 0); hubs sit just proud of the tyre face.
        let axleShift = (rng.nextFloat() - 0.5) * 0.04 * L
        for x in [wheelbase / 2 + axleShift, -wheelbase / 2 + axleShift] {
            for s: Float in [-1, 1] {
                let y = s * (W / 2 - wheelW / 2 + 0.03)
                prims.append(
                    SDFPrimitive(
                        .cylinder(radius: wheelR, halfLength: wheelW / 2, rounding: 0.045),
                        frame: Frame(center: Vec3(x, y, wheelR)), material: tyre))
                prims.append(
                    SDFPrimitive(
                        .cylinder(radius: wheelR * 0.58, halfLength: 0.02, rounding: 0.008),
                        frame: Frame(center: Vec3(x, s * (W / 2 + 0.035), wheelR)), material: hub))
            }
        }

        // Nose: headlights and grille; tail: lights. Bumpers at both ends.
        let lightZ = zBottom + bodyH * 0.68
        for s: Float in [-1, 1] {
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(0.05, min(0.17, W * 0.1), 0.06), radius: 0.025),
                    frame: Frame(center: Vec3(L / 2 - 0.03, s * (W / 2 - 0.24), min(lightZ, zTop - hoodDrop - 0.08))),
                    material: headlight))
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(0.05, min(0.15, W * 0.09), 0.065), radius: 0.025),
                    frame: Frame(center: Vec3(-L / 2 + 0.03, s * (W / 2 - 0.2), zBottom + bodyH * 0.74)),
                    material: taillight))
        }
        prims.append(
            SDFPrimitive(
                .roundBox(half: Vec3(0.04, W * 0.2, bodyH * 0.13), radius: 0.02),
                frame: Frame(center: Vec3(L / 2 - 0.015, 0, zBottom + bodyH * 0.5)), material: trim))
        for s: Float in [-1, 1] {
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(0.09, W / 2 - 0.06, 0.08), radius: 0.04),
                    frame: Frame(center: Vec3(s * (L / 2 - 0.03), 0, zBottom + 0.09)), material: trim))
        }
        addDetails(
            &prims, &materials, details: &details,
            Parts(
                mirrors: hasMirrors, rails: hasRails, spoiler: hasSpoiler && !bed, spokes: hasSpokes,
                doorLines: hasDoorLines,
                stripe: hasStripe),
            Layout(
                L: L, W: W, zBottom: zBottom, zTop: zTop, cabinX: cabinX, cabinL: cabinL, cabinW: cabinW,
                cabinH: cabinH, ta: ta,
                tb: tb, pillars: pillars, wheelR: wheelR, body: body, cabin: cabin, trim: trim, hub: hub))
        var car = SceneObject(primitives: prims, materials: materials)
        // The semantic attributes `edit --attribute` learns directions for: measured on the car as
        // built (metres here, box units once it is fitted to the box), and the paint's luminance and hue.
        let b = car.bounds
        car.attributes = [
            "length": Double(b.hi.x - b.lo.x), "height": Double(b.hi.z - b.lo.z), "wheel-size": Double(2 * wheelR),
        ]
        let (brightness, hue) = ObjectAttributes.brightnessAndHue(
            Double(bodyColour.x), Double(bodyColour.y), Double(bodyColour.z))
        car.attributes["brightness"] = brightness
        car.attributes["saturation"] = ObjectAttributes.saturation(
            Double(bodyColour.x), Double(bodyColour.y), Double(bodyColour.z))
        if let hue { car.attributes["hue"] = hue }
        return car
    }

    struct Parts {
        var mirrors, rails, spoiler, spokes, doorLines, stripe: Bool
    }

    /// Where the main parts ended up (metres) and their materials.
    struct Layout {
        var L, W, zBottom, zTop, cabinX, cabinL, cabinW, cabinH, ta, tb: Float
        var pillars: [Float]
        var wheelR: Float
        var body, cabin, trim, hub: Int
    }

    /// Side mirrors, roof rails, a spoiler, wheel spokes, door gaps and a stripe, as `parts` says.
    func addDetails(
        _ prims: inout [SDFPrimitive], _ materials: inout [Material], details: inout SplitMix64, _ parts: Parts,
        _ c: Layout
    ) {
        let roofFront = c.cabinX + c.cabinL / 2 - c.ta * c.cabinH, roofRear = c.cabinX - c.cabinL / 2 + c.tb * c.cabinH
        let roofZ = c.zTop + c.cabinH
        if parts.mirrors {
            for s: Float in [-1, 1] {
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(0.05, 0.075, 0.045), radius: 0.02),
                        frame: Frame(center: Vec3(c.cabinX + c.cabinL / 2 - 0.08, s * (c.W / 2 + 0.01), c.zTop + 0.04)),
                        material: c.body))
            }
        }
        if parts.rails, roofFront - roofRear > 0.6 {
            for s: Float in [-1, 1] {
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3((roofFront - roofRear) * 0.45, 0.02, 0.02), radius: 0.01),
                        frame: Frame(center: Vec3((roofFront + roofRear) / 2, s * (c.cabinW / 2 - 0.1), roofZ + 0.03)),
                        material: c.trim))
            }
        }
        if parts.spoiler {
            // On the boot lid when there is a boot, else at the roof's rear edge.
            let boot = (c.cabinX - c.cabinL / 2) - (-c.L / 2)
            let x = boot > 0.5 ? -c.L / 2 + 0.14 : roofRear + 0.05, z = boot > 0.5 ? c.zTop + 0.1 : roofZ + 0.04
            prims.append(
                SDFPrimitive(
                    .roundBox(half: Vec3(0.08, c.W * 0.42, 0.014), radius: 0.01),
                    frame: Frame(center: Vec3(x, 0, z + 0.05)),
                    material: c.body))
            for s: Float in [-1, 1] {
                prims.append(
                    SDFPrimitive(
                        .roundBox(half: Vec3(0.03, 0.015, 0.04), radius: 0.008),
                        frame: Frame(center: Vec3(x, s * c.W * 0.3, z + 0.01)),
                        material: c.trim))
            }
        }
        if parts.spokes {
            // A dark rim well behind three bars through the centre: six spokes in the hub's colour.
            // The recess is matte, whatever the hub's finish: a mirror-like well would hide the spokes.
            materials.append(Material(albedo: spec.colour("tyre", &details) * 1.5, specular: 0.04, roughness: 0.8))
            let wellIndex = materials.count - 1
            for i in prims.indices where prims[i].material == c.hub {
                prims[i].material = wellIndex
                let centre = prims[i].frame.center, side: Float = centre.y > 0 ? 1 : -1
                for k in 0..<3 {
                    prims.append(
                        SDFPrimitive(
                            .roundBox(half: Vec3(c.wheelR * 0.55, 0.012, 0.026), radius: 0.008),
                            frame: Frame(center: centre + Vec3(0, side * 0.012, 0), pitch: Float(k) * .pi / 3),
                            material: c.hub))
                }
            }
        }
        if parts.doorLines || parts.stripe {
            var paint = Material.Paint()
            if parts.doorLines {
                // Front door from just ahead of the windscreen base to the B pillar, rear door behind it.
                let front = c.cabinX + c.cabinL / 2 + 0.06, rear = c.cabinX - c.cabinL / 2 + c.tb * c.cabinH * 0.5
                paint.doorLines = [front, rear] + c.pillars.prefix(1)
                paint.lineZ = (c.zBottom + 0.06)...(c.zTop + c.cabinH * 0.2)
            }
            if parts.stripe {
                paint.stripeHalfWidth = c.W * (0.05 + 0.05 * details.nextFloat())
                paint.stripeAlbedo = details.nextFloat() < 0.5 ? Vec3(0.85, 0.85, 0.85) : Vec3(0.02, 0.02, 0.02)
            }
            materials[c.body].paint = paint
            if parts.stripe {
                var roof = Material.Paint()
                roof.stripeHalfWidth = paint.stripeHalfWidth
                roof.stripeAlbedo = paint.stripeAlbedo
                materials[c.cabin].paint = roof
            }
        }
    }
}

@inline(__always) func normalize(_ v: Vec3) -> Vec3 { v / length(v) }
