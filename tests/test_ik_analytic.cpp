// closed-form ik for omx4 (position + pitch) and kr6 (spherical wrist): round trips over
// thousands of random configurations, branch names, solution counts, the structure checks,
// unreachable targets, and hand-checked configurations
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "support/arms.h"

using namespace neurokin;
using neurokin::test::random_target;
using neurokin::test::shipped_arm;

namespace {

constexpr double kDeg = M_PI / 180.0;

// largest joint difference up to whole turns (a4 and a6 of kr6 have two representatives)
double turn_distance(const JointVec& a, const JointVec& b) {
  double d = 0;
  for (int i = 0; i < a.size(); ++i) d = std::max(d, std::abs(wrap_angle(a[i] - b[i])));
  return d;
}

struct RoundTrip {
  std::set<std::string> branches;
  std::map<int, int> counts;  // number of solutions -> targets
  int found_original = 0;
};

// every solution of the targets of `trials` random configurations reproduces the target and
// is within limits; the configuration itself is among them
RoundTrip round_trip(const Arm& arm, int trials, std::uint64_t seed) {
  Rng rng(seed);
  RoundTrip r;
  for (int trial = 0; trial < trials; ++trial) {
    JointVec q;
    const TaskVec x = random_target(arm, rng, &q);
    const AnalyticSolutions s = solve_ik_analytic(arm, x);
    INFO(arm.name << " q = " << q.transpose());
    REQUIRE(s.reachable);
    ++r.counts[s.count];
    bool original = false;
    for (int k = 0; k < s.count; ++k) {
      const JointVec& qk = s.sol[k].q;
      const TaskError e = task_error(arm, fk(arm, qk), x);
      CHECK(e.position_error < 1e-10);
      CHECK(e.orientation_error < 1e-10);
      CHECK(within_limits(arm, qk));
      // the representative nearest 0: every angle within (-pi, pi] that fits the limits
      for (int i = 0; i < arm.dof(); ++i)
        if (arm.joints[i].upper - arm.joints[i].lower > 2 * M_PI) CHECK(std::abs(qk[i]) <= M_PI);
      original |= turn_distance(qk, q) < 1e-7;
      r.branches.insert(s.sol[k].branch);
      for (int m = 0; m < k; ++m) CHECK(std::string(s.sol[m].branch) != s.sol[k].branch);
    }
    CHECK(original);
    r.found_original += original;
  }
  return r;
}

std::set<std::string> names_of(const Arm& arm) {
  const std::vector<std::string> v = analytic_branch_names(arm);
  return {v.begin(), v.end()};
}

const char* branch_of(const Arm& arm, const JointVec& q) {
  const AnalyticSolutions s = solve_ik_analytic(arm, task_vector(arm, fk(arm, q)));
  for (int k = 0; k < s.count; ++k)
    if (turn_distance(s.sol[k].q, q) < 1e-9) return s.sol[k].branch;
  return "(not found)";
}

JointVec joints(std::initializer_list<double> v) {
  JointVec q(static_cast<int>(v.size()));
  int i = 0;
  for (double x : v) q[i++] = x;
  return q;
}

// an arm with one field of its JSON changed
Arm edited(const std::string& name, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = arm_to_json(shipped_arm(name));
  edit(j);
  return arm_from_json(j);
}

}  // namespace

// omx4 with every joint free over a whole turn: all four branches exist
Arm free_omx4() {
  return edited("omx4", [](nlohmann::json& j) {
    for (auto& joint : j["joints"]) {
      joint.erase("limits_pi");
      joint["limits"] = {-M_PI, M_PI};
    }
  });
}

TEST_CASE("omx4: 5,000 round trips, the branches its limits allow, counts of solutions") {
  const Arm arm = shipped_arm("omx4");
  REQUIRE(has_analytic_ik(arm));
  CHECK(names_of(arm) == std::set<std::string>{"base_front_elbow_up", "base_front_elbow_down",
                                               "base_back_elbow_up", "base_back_elbow_down"});
  const RoundTrip r = round_trip(arm, 5000, 21);
  CHECK(r.found_original == 5000);
  // joint 3 sits 0.128 above and 0.024 ahead of joint 2: the forearm is in line with the
  // upper arm at q3 = -atan2(0.128, 0.024) = -0.441 pi, beyond joint 3's lower limit
  // (-0.3 pi); so within the limits the elbow is always up reaching forwards, and down
  // reaching backwards (the same joint angles seen from behind)
  CHECK(r.branches == std::set<std::string>{"base_front_elbow_up", "base_back_elbow_down"});
  CHECK(r.counts.size() == 2);
  CHECK(r.counts.count(1));
  CHECK(r.counts.count(2));  // the base can also turn round for part of the workspace
  const RoundTrip f = round_trip(free_omx4(), 5000, 21);
  CHECK(f.found_original == 5000);
  CHECK(f.branches == names_of(arm));
  CHECK(f.counts.count(4));
}

TEST_CASE("kr6: 5,000 round trips, all eight branches, counts of solutions") {
  const Arm arm = shipped_arm("kr6");
  REQUIRE(has_analytic_ik(arm));
  const RoundTrip r = round_trip(arm, 5000, 22);
  CHECK(r.found_original == 5000);
  CHECK(r.branches == names_of(arm));
  CHECK(names_of(arm).size() == 8);
  for (const auto& [count, targets] : r.counts) {
    INFO(count << " solutions: " << targets << " targets");
    CHECK((count >= 1 && count <= 8));
  }
  CHECK(r.counts.count(8));  // all eight fit the limits for part of the workspace
  // the wrist flip always doubles: a5's limits are symmetric and a4, a6 span a whole turn
  for (const auto& [count, targets] : r.counts) CHECK(count % 2 == 0);
}

TEST_CASE("branch names: the list of each solver is what it returns") {
  for (const auto& name : test::arm_names()) {
    // omx4's limits allow two of its four branches (see above)
    const Arm arm = name == "omx4" ? free_omx4() : shipped_arm(name);
    INFO(name);
    CHECK(round_trip(arm, 2000, 23).branches == names_of(arm));
  }
  CHECK(
      analytic_branch_names(edited("kr6", [](nlohmann::json& j) { j.erase("analytic"); })).empty());
}

TEST_CASE("omx4: hand-checked configurations and their branches") {
  const Arm arm = shipped_arm("omx4");
  // q = 0: the tool at (0.012 + 0.024 + 0.124 + 0.126, 0, 0.017 + 0.0595 + 0.128), pitch 0;
  // the elbow (joint 3, 0.128 above joint 2) lies above the shoulder-wrist line
  Eigen::Vector4d x(0.286, 0, 0.2045, 0);
  AnalyticSolutions s = solve_ik_analytic(arm, x);
  REQUIRE(s.count >= 1);
  CHECK(std::string(branch_of(arm, joints({0, 0, 0, 0}))) == "base_front_elbow_up");
  CHECK(std::string(branch_of(arm, joints({0.3, 0.9, -0.9, 0.2}))) == "base_front_elbow_up");
  // folding the forearm past the line of the upper arm (beyond the limits): elbow down
  CHECK(std::string(branch_of(free_omx4(), joints({0.3, 0.9, -1.6, 0.2}))) ==
        "base_front_elbow_down");
  // base turned back by pi - 0.2 and the shoulder leaning back past vertical
  const JointVec back = joints({0.9 * M_PI - 0.05, -0.55 * M_PI, 0.1, 0.3});
  const std::string b = branch_of(arm, back);
  CHECK(b.rfind("base_back", 0) == 0);
  // a target on the base axis, tool pointing up: the wrist 0.2 above the shoulder
  // (0.017 + 0.0595); q1 is free, 0 (front) and pi (back, outside +-0.9 pi) are taken
  Eigen::Vector4d up(0.012, 0, 0.0765 + 0.2 + 0.126, -M_PI / 2);
  s = solve_ik_analytic(arm, up);
  CHECK(s.reachable);
  CHECK(s.count >= 1);
  for (int k = 0; k < s.count; ++k) {
    CHECK(s.sol[k].q[0] == 0.0);
    CHECK(task_error(arm, fk(arm, s.sol[k].q), up).position_error < 1e-10);
  }
}

TEST_CASE("kr6: hand-checked configurations, the wrist singularity, whole turns") {
  const Arm arm = shipped_arm("kr6");
  // q = 0 is wrist-singular (a4 and a6 in line): one solution per arm branch, q4 = 0
  const double h = std::sqrt(0.5);
  Eigen::VectorXd x(7);
  x << 0.980, 0, 0.435, 0, h, 0, h;
  const AnalyticSolutions s = solve_ik_analytic(arm, x);
  bool zero = false;
  for (int k = 0; k < s.count; ++k) {
    CHECK(task_error(arm, fk(arm, s.sol[k].q), x).position_error < 1e-10);
    zero |= s.sol[k].q.norm() < 1e-12;
  }
  CHECK(zero);
  // stretched forwards, the 0.035 elbow offset lifts the wrist: the elbow just below the line
  CHECK(std::string(branch_of(arm, joints({0, 0, 0, 0, 0.3, 0}))) ==
        "shoulder_front_elbow_down_wrist_noflip");
  // upper arm up, forearm forwards, tool down: kuka's usual pose
  CHECK(std::string(branch_of(arm, joints({0.2, -90 * kDeg, 90 * kDeg, 0.1, 45 * kDeg, 0.3}))) ==
        "shoulder_front_elbow_up_wrist_noflip");
  CHECK(std::string(branch_of(arm, joints({0.2, -90 * kDeg, 90 * kDeg, 0.1, -45 * kDeg, 0.3}))) ==
        "shoulder_front_elbow_up_wrist_flip");
  // leaning back over the base: the wrist centre behind a1's axis
  CHECK(std::string(branch_of(arm, joints({0.2, -150 * kDeg, 30 * kDeg, 0.1, 45 * kDeg, 0.3})))
            .rfind("shoulder_back", 0) == 0);
  // a6 = 300 deg and -60 deg are one pose: the solver returns -60 deg
  const JointVec q = joints({0.1, -0.5, 0.7, 0.2, 0.6, 300 * kDeg});
  const AnalyticSolutions t = solve_ik_analytic(arm, task_vector(arm, fk(arm, q)));
  bool found = false;
  for (int k = 0; k < t.count; ++k)
    found |= (t.sol[k].q.head<5>() - q.head<5>()).norm() < 1e-9 &&
             std::abs(t.sol[k].q[5] + 60 * kDeg) < 1e-9;
  CHECK(found);
  // a singular wrist with a4 + a6 = 1: q4 = 0, q6 = 1
  const JointVec w = joints({0.1, -0.5, 0.7, 0.4, 0, 0.6});
  const AnalyticSolutions u = solve_ik_analytic(arm, task_vector(arm, fk(arm, w)));
  found = false;
  for (int k = 0; k < u.count; ++k) {
    CHECK(task_error(arm, fk(arm, u.sol[k].q), task_vector(arm, fk(arm, w))).orientation_error <
          1e-10);
    found |= std::abs(u.sol[k].q[3]) < 1e-12 && std::abs(u.sol[k].q[5] - 1.0) < 1e-9;
  }
  CHECK(found);
}

TEST_CASE("reachable: every configuration ignoring limits is reachable, far targets are not") {
  for (const char* name : {"omx4", "kr6"}) {
    // the same arm with every joint free over a whole turn
    const Arm free = edited(name, [](nlohmann::json& j) {
      for (auto& joint : j["joints"]) {
        joint.erase("limits_pi");
        joint.erase("limits_deg");
        joint["limits"] = {-M_PI, M_PI};
      }
    });
    const Arm arm = shipped_arm(name);
    Rng rng(31);
    int unfit = 0;  // in the workspace, but no branch fits the limits
    for (int trial = 0; trial < 2000; ++trial) {
      const TaskVec x = random_target(free, rng);
      const AnalyticSolutions s = solve_ik_analytic(arm, x);
      INFO(name << " " << x.transpose());
      CHECK(s.reachable);
      unfit += s.count == 0;
      CHECK(solve_ik_analytic(free, x).count >= 1);
    }
    CHECK(unfit > 0);
  }
  // beyond the reach: no solution and not reachable
  const AnalyticSolutions o =
      solve_ik_analytic(shipped_arm("omx4"), Eigen::Vector4d(0.5, 0, 0.2, 0));
  CHECK_FALSE(o.reachable);
  CHECK(o.count == 0);
  Eigen::VectorXd far(7);
  far << 0.3, 0.2, 1.8, 0, 0, 0, 1;
  const AnalyticSolutions k = solve_ik_analytic(shipped_arm("kr6"), far);
  CHECK_FALSE(k.reachable);
  CHECK(k.count == 0);
  // within the reach ball but closer to the shoulder than the folded arm allows
  Eigen::VectorXd near(7);
  // tool up: the wrist centre 0.08 below it, on a1's axis, 0.025 from the shoulder either
  // way, nearer than the folded arm reaches (0.455 - |(0.42, 0.035)| = 0.0335)
  near << 0, 0, 0.4 + 0.08, 0, 0, 0, 1;
  CHECK_FALSE(solve_ik_analytic(shipped_arm("kr6"), near).reachable);
}

TEST_CASE("structure checks: a solver never runs on a geometry it does not fit") {
  using nlohmann::json;
  // omx4: joint 3 off the plane; a tool tilted; joint 2 about x
  CHECK_FALSE(has_analytic_ik(edited("omx4", [](json& j) {
    j["joints"][2]["origin"]["xyz"] = {0.024, 0.01, 0.128};
  })));
  CHECK_FALSE(has_analytic_ik(edited("omx4", [](json& j) { j["tool"]["rpy"] = {0, 0.1, 0}; })));
  CHECK_FALSE(has_analytic_ik(edited("omx4", [](json& j) { j["joints"][1]["axis"] = {1, 0, 0}; })));
  // kr6: a5 off a4's line (no longer a spherical wrist); a6 not parallel to a4; a shoulder
  // offset out of the plane
  CHECK_FALSE(has_analytic_ik(edited("kr6", [](json& j) {
    j["joints"][4]["origin"]["xyz"] = {0.42, 0, 0.01};
  })));
  CHECK_FALSE(has_analytic_ik(edited("kr6", [](json& j) { j["joints"][5]["axis"] = {0, 0, 1}; })));
  CHECK_FALSE(has_analytic_ik(edited("kr6", [](json& j) {
    j["joints"][1]["origin"]["xyz"] = {0.025, 0.01, 0};
  })));
  // the solvers on the other arms
  CHECK_FALSE(has_analytic_ik(edited("puma3", [](json& j) { j["analytic"] = "spherical_wrist"; })));
  CHECK_FALSE(
      has_analytic_ik(edited("kr6", [](json& j) { j["analytic"] = "omx_position_pitch"; })));
  const Arm bent = edited("kr6", [](json& j) { j["joints"][5]["axis"] = {0, 0, 1}; });
  Eigen::VectorXd x(7);
  x << 0.5, 0, 0.5, 0, 0, 0, 1;
  CHECK_THROWS_WITH(solve_ik_analytic(bent, x),
                    "solve_ik_analytic: arm 'kr6' has no closed-form solver ('spherical_wrist' "
                    "does not fit its geometry)");
}

TEST_CASE("structure checks: a moved base, signs of axes and a longer tool are handled") {
  using nlohmann::json;
  const std::vector<std::pair<std::string, std::function<void(json&)>>> variants = {
      {"kr6",
       [](json& j) {
         j["base"] = {{"xyz", {0.3, -0.2, 0.1}}, {"rpy", {0.2, -0.1, 0.7}}};
       }},
      {"kr6",
       [](json& j) {
         j["tool"] = {{"xyz", {0.01, 0.02, 0.15}}, {"rpy", {0.3, 1.2, -0.4}}};
       }},
      {"kr6",
       [](json& j) {
         j["joints"][0]["axis"] = {0, 0, 1};
         j["joints"][2]["axis"] = {0, -1, 0};
         j["joints"][5]["axis"] = {1, 0, 0};
       }},
      {"omx4",
       [](json& j) {
         j["base"] = {{"xyz", {0.3, -0.2, 0.1}}};
       }},
      {"omx4",
       [](json& j) {
         j["joints"][0]["axis"] = {0, 0, -1};
       }},
  };
  for (const auto& [name, edit] : variants) {
    const Arm arm = edited(name, edit);
    INFO(arm_to_json(arm).dump());
    REQUIRE(has_analytic_ik(arm));
    CHECK(round_trip(arm, 500, 41).found_original == 500);
  }
}

TEST_CASE("arm files: the new solver names are accepted, others listed when refused") {
  CHECK(shipped_arm("omx4").analytic == "omx_position_pitch");
  CHECK(shipped_arm("kr6").analytic == "spherical_wrist");
  CHECK_THROWS_WITH(edited("kr6", [](nlohmann::json& j) { j["analytic"] = "pieper"; }),
                    "arm.analytic: expected \"planar2r\", \"puma_position\", "
                    "\"omx_position_pitch\", \"spherical_wrist\" or \"\", got \"pieper\"");
}
