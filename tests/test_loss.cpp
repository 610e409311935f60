// training losses: values by hand, and dL/dy of every term against central finite differences
#include <catch2/catch.hpp>
#include <cmath>

#include "neurokin/kinematics.h"
#include "support/arms.h"
#include "train/loss.h"

using namespace neurokin;
using neurokin::test::random_target;
using neurokin::test::shipped_arm;
using neurokin::train::BatchLoss;
using neurokin::train::LossTerms;
using neurokin::train::LossWeights;

namespace {

struct Batch {
  int n, outputs;
  std::vector<float> y, x, q;
};

// targets from random joints; network outputs near (but not at) the target joints
Batch make_batch(const Arm& arm, OutputDecoding dec, int n, std::uint64_t seed) {
  Rng rng(seed);
  const int dof = arm.dof(), ts = task_size(arm.task);
  Batch b{n, dec == OutputDecoding::kSinCos ? 2 * dof : dof, {}, {}, {}};
  for (int k = 0; k < n; ++k) {
    JointVec q;
    const TaskVec x = random_target(arm, rng, &q);
    for (int i = 0; i < ts; ++i) b.x.push_back(static_cast<float>(x[i]));
    for (int i = 0; i < dof; ++i) {
      b.q.push_back(static_cast<float>(q[i]));
      const double guess = q[i] + 0.2 * rng.normal();
      if (dec == OutputDecoding::kSinCos) {
        const double r = 1 + 0.1 * rng.normal();
        b.y.push_back(static_cast<float>(r * std::sin(guess)));
        b.y.push_back(static_cast<float>(r * std::cos(guess)));
      } else {
        b.y.push_back(static_cast<float>(guess));
      }
    }
  }
  return b;
}

double weighted(const LossTerms& t, const LossWeights& w) {
  return w.joint * t.joint + w.sincos * t.sincos + w.fk_position * t.fk_position +
         w.fk_orientation * t.fk_orientation;
}

void check_gradient(const std::string& arm_name, OutputDecoding dec, const LossWeights& w) {
  const Arm arm = shipped_arm(arm_name);
  Batch b = make_batch(arm, dec, 6, 17);
  // a non-trivial de-normalisation, so the chain rule through it is tested too
  Eigen::VectorXf mean = Eigen::VectorXf::Constant(b.outputs, 0.05f), std = Eigen::VectorXf::Constant(b.outputs, 0.8f);
  for (float& v : b.y) v = (v - 0.05f) / 0.8f;
  BatchLoss loss(arm, dec, mean, std);
  std::vector<float> dy(b.y.size()), pe(b.n), re(b.n), scratch(b.y.size());
  loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, w, dy.data(), pe.data(), re.data());
  const float h = 1e-3f;
  for (size_t i = 0; i < b.y.size(); ++i) {
    std::vector<float> yp = b.y, ym = b.y;
    yp[i] += h;
    ym[i] -= h;
    const double lp = weighted(loss.compute(yp.data(), b.x.data(), b.q.data(), b.n, w, scratch.data(), pe.data(), re.data()), w);
    const double lm = weighted(loss.compute(ym.data(), b.x.data(), b.q.data(), b.n, w, scratch.data(), pe.data(), re.data()), w);
    // hard-sample weights are constants of the step (detached), so finite differences of
    // the weighted loss see their change: compare only without them
    const double fd = (lp - lm) / (2 * h);
    INFO(arm_name << " output " << i << ": analytic " << dy[i] << ", finite difference " << fd);
    CHECK(dy[i] == Approx(fd).epsilon(2e-2).margin(2e-5));
  }
}

}  // namespace

TEST_CASE("joint mse wraps angles and is exact by hand") {
  const Arm arm = shipped_arm("planar2");
  BatchLoss loss(arm, OutputDecoding::kAngles, Eigen::VectorXf::Zero(2), Eigen::VectorXf::Ones(2));
  // q = (3.1, 0), target (-3.1, 0.5): wrapped errors (0.2 - 2 pi + 2 pi...) = 6.2 - 2 pi, -0.5
  const float y[] = {3.1f, 0.0f}, q[] = {-3.1f, 0.5f}, x[] = {1.0f, 0.0f};
  float dy[2], pe[1], re[1];
  const LossTerms t = loss.compute(y, x, q, 1, {1, 0, 0, 0, 0}, dy, pe, re);
  const double e0 = 3.1f - (-3.1f) - 2 * M_PI;
  CHECK(t.joint == Approx((e0 * e0 + 0.25) / 2).epsilon(1e-6));
  CHECK(dy[0] == Approx(e0).epsilon(1e-5));
  CHECK(dy[1] == Approx(-0.5).epsilon(1e-6));
  // fk error reported: fk(3.1, 0) vs target (1, 0)
  const Eigen::Vector3d p = fk(arm, Eigen::Vector2d(3.1f, 0)).translation();
  CHECK(pe[0] == Approx(std::hypot(p.x() - 1, p.y())).epsilon(1e-6));
}

TEST_CASE("loss gradients match finite differences: joint and sincos terms") {
  check_gradient("puma3", OutputDecoding::kAngles, {1, 0, 0, 0, 0});
  check_gradient("puma3", OutputDecoding::kSinCos, {1, 0, 0, 0, 0});
  check_gradient("puma3", OutputDecoding::kAngles, {0, 1, 0, 0, 0});
  check_gradient("omx4", OutputDecoding::kSinCos, {0, 1, 0, 0, 0});
}

TEST_CASE("loss gradients match finite differences: fk position through the jacobian") {
  for (const char* arm : {"planar2", "puma3", "omx4", "kr6"}) {
    check_gradient(arm, OutputDecoding::kAngles, {0, 0, 1, 0, 0});
    check_gradient(arm, OutputDecoding::kSinCos, {0, 0, 1, 0, 0});
  }
}

TEST_CASE("loss gradients match finite differences: pitch and geodesic orientation") {
  check_gradient("omx4", OutputDecoding::kAngles, {0, 0, 0, 1, 0});
  check_gradient("kr6", OutputDecoding::kSinCos, {0, 0, 0, 1, 0});
  check_gradient("kr6", OutputDecoding::kAngles, {0.5, 0.2, 2, 0.3, 0});
}

TEST_CASE("loss gradients match finite differences: pseudo-Huber fk terms") {
  // scales below the batch's errors, so both the quadratic and the linear parts are crossed
  LossWeights w{0, 0, 1, 0.5, 0};
  w.huber_position = 0.02;
  w.huber_orientation = 0.05;
  for (const char* arm : {"puma3", "omx4", "kr6"}) check_gradient(arm, OutputDecoding::kSinCos, w);
}

TEST_CASE("pseudo-Huber fk terms equal the squared error far below the scale") {
  const Arm arm = shipped_arm("kr6");
  Batch b = make_batch(arm, OutputDecoding::kAngles, 8, 5);
  BatchLoss loss(arm, OutputDecoding::kAngles, Eigen::VectorXf::Zero(6), Eigen::VectorXf::Ones(6));
  std::vector<float> dy(b.y.size()), pe(b.n), re(b.n);
  LossWeights plain{0, 0, 1, 1, 0}, robust = plain, tight = plain;
  robust.huber_position = robust.huber_orientation = 1e6;
  tight.huber_position = tight.huber_orientation = 1e-3;
  const LossTerms a = loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, plain, dy.data(), pe.data(), re.data());
  const LossTerms r = loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, robust, dy.data(), pe.data(), re.data());
  const LossTerms t = loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, tight, dy.data(), pe.data(), re.data());
  CHECK(r.fk_position == Approx(a.fk_position).epsilon(1e-6));
  CHECK(r.fk_orientation == Approx(a.fk_orientation).epsilon(1e-6));
  // far above the scale the term grows like 2 d |e|: much less than e^2
  CHECK(t.fk_position < 0.1 * a.fk_position);
  CHECK(t.fk_orientation < 0.1 * a.fk_orientation);
}

TEST_CASE("hard-sample weights scale each sample's fk gradient by 1 + alpha e_i / mean(e)") {
  const Arm arm = shipped_arm("puma3");
  Batch b = make_batch(arm, OutputDecoding::kAngles, 8, 3);
  BatchLoss loss(arm, OutputDecoding::kAngles, Eigen::VectorXf::Zero(3), Eigen::VectorXf::Ones(3));
  std::vector<float> plain(b.y.size()), hard(b.y.size()), pe(b.n), re(b.n);
  loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, {0, 0, 1, 0, 0}, plain.data(), pe.data(), re.data());
  loss.compute(b.y.data(), b.x.data(), b.q.data(), b.n, {0, 0, 1, 0, 2.0}, hard.data(), pe.data(), re.data());
  double mean = 0;
  for (float e : pe) mean += e / b.n;
  for (int k = 0; k < b.n; ++k)
    for (int i = 0; i < 3; ++i)
      CHECK(hard[k * 3 + i] == Approx(plain[k * 3 + i] * (1 + 2.0 * pe[k] / mean)).epsilon(1e-4));
}
