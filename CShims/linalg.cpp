// Small dense linear algebra on Eigen: rotations with Jacobians, look-at, symmetric eigensolver.
#include "CShims.h"
#include <eigen3/Eigen/Dense>
#include <cmath>

using Mat3 = Eigen::Matrix3d;
using Vec3 = Eigen::Vector3d;
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Below this rotation angle (radians) Rodrigues' Jacobian formula divides by ~0, so a
// second-order Taylor expansion around the identity is used instead.
static const double kSmallAngle = 1e-6;

static Mat3 skew(const Vec3 &v) {
    Mat3 S;
    S << 0, -v.z(), v.y(), v.z(), 0, -v.x(), -v.y(), v.x(), 0;
    return S;
}

extern "C" void nv_axis_angle_to_matrix(const double *w, double *R, double *dR_dw) {
    Vec3 v(w[0], w[1], w[2]);
    double theta = v.norm();
    Mat3 Rm = theta < kSmallAngle ? Mat3(Mat3::Identity() + skew(v))
                                  : Mat3(Eigen::AngleAxisd(theta, v / theta).toRotationMatrix());
    Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>> Rout(R);
    Rout = Rm;
    if (!dR_dw) return;
    for (int i = 0; i < 3; i++) {
        Vec3 e = Vec3::Unit(i);
        Mat3 D;
        if (theta < kSmallAngle) {
            // d/dv_i of I + [v]x + [v]x^2 / 2 at small v.
            D = skew(e) + 0.5 * (skew(e) * skew(v) + skew(v) * skew(e));
        } else {
            // Gallego & Yezzi (2015): dR/dv_i = (v_i [v]x + [v x (I - R) e_i]x) R / |v|^2.
            D = (v(i) * skew(v) + skew(v.cross((Mat3::Identity() - Rm) * e))) * Rm / (theta * theta);
        }
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) dR_dw[(r * 3 + c) * 3 + i] = D(r, c);
    }
}

extern "C" void nv_matrix_to_axis_angle(const double *R, double *w) {
    Mat3 Rm = Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(R);
    Eigen::AngleAxisd aa(Rm);
    Vec3 v = aa.axis() * aa.angle();
    w[0] = v.x(); w[1] = v.y(); w[2] = v.z();
}

// Vectors shorter than this cannot define a camera direction.
static const double kDegenerate = 1e-12;

extern "C" int nv_look_at(const double *eye, const double *target, const double *up, double *c2w) {
    Vec3 e(eye[0], eye[1], eye[2]), t(target[0], target[1], target[2]), u(up[0], up[1], up[2]);
    Vec3 fwd = t - e;
    if (fwd.norm() < kDegenerate) return 1;
    fwd.normalize();
    Vec3 right = fwd.cross(u);
    if (right.norm() < kDegenerate) return 1;
    right.normalize();
    Vec3 down = fwd.cross(right);
    Eigen::Map<Eigen::Matrix<double, 4, 4, Eigen::RowMajor>> M(c2w);
    M.setIdentity();
    M.block<3, 1>(0, 0) = right;
    M.block<3, 1>(0, 1) = down;
    M.block<3, 1>(0, 2) = fwd;
    M.block<3, 1>(0, 3) = e;
    return 0;
}

extern "C" int nv_sym_eigen(int n, const double *A, double *evals, double *evecs) {
    if (n <= 0) return 1;
    Eigen::Map<const RowMat> Am(A, n, n);
    if (!Am.allFinite()) return 1;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(Eigen::MatrixXd(Am), Eigen::ComputeEigenvectors);
    if (solver.info() != Eigen::Success) return 1;
    Eigen::Map<Eigen::VectorXd>(evals, n) = solver.eigenvalues();
    Eigen::Map<RowMat>(evecs, n, n) = solver.eigenvectors();
    return 0;
}
