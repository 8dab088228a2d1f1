import CShims

/// Rotations in axis-angle form (the pose parametrisation for pose refinement), backed by Eigen.
public enum Rotation {
    /// R (3x3 row-major, 9) = exp([w]x) for w (3).
    public static func matrix(axisAngle w: [Double]) -> [Double] {
        precondition(w.count == 3, "axis-angle needs 3 values")
        var R = [Double](repeating: 0, count: 9)
        nv_axis_angle_to_matrix(w, &R, nil)
        return R
    }

    /// R (9) and dR/dw (9, 3) row-major: entry (r*3+c, i) = dR[r][c] / dw[i].
    public static func matrixWithJacobian(axisAngle w: [Double]) -> (R: [Double], jacobian: [Double]) {
        precondition(w.count == 3, "axis-angle needs 3 values")
        var R = [Double](repeating: 0, count: 9), J = [Double](repeating: 0, count: 27)
        nv_axis_angle_to_matrix(w, &R, &J)
        return (R, J)
    }

    /// w (3) with |w| in [0, pi] such that exp([w]x) = R (9, row-major rotation).
    public static func axisAngle(matrix R: [Double]) -> [Double] {
        precondition(R.count == 9, "rotation matrix needs 9 values")
        var w = [Double](repeating: 0, count: 3)
        nv_matrix_to_axis_angle(R, &w)
        return w
    }
}

/// Camera placement helpers in the world frame of ../shared/RIG.md (+z up).
public enum LookAt {
    /// Camera-to-world 4x4 (16, row-major) in OpenCV camera axes (+x right, +y down, +z forward),
    /// or nil when eye == target or up is parallel to the view direction.
    public static func cameraToWorld(eye: [Double], target: [Double] = [0, 0, 0], up: [Double] = [0, 0, 1]) -> [Double]?
    {
        var M = [Double](repeating: 0, count: 16)
        return nv_look_at(eye, target, up, &M) == 0 ? M : nil
    }
}
