// arm files: the shipped arms carry PRODUCT.md's numbers; every malformed field is named
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "neurokin/arm.h"
#include "neurokin/error.h"
#include "neurokin/kinematics.h"
#include "support/arms.h"

using namespace neurokin;
using neurokin::test::shipped_arm;
using nlohmann::json;

namespace {

json planar() {
  return json::parse(R"({"format": "neurokin-arm", "version": 1, "name": "t", "task": "planar_xy",
    "joints": [{"origin": {"xyz": [0, 0, 0]}, "axis": [0, 0, 1], "limits": [-1, 1]},
               {"origin": {"xyz": [1, 0, 0]}, "axis": [0, 0, 1], "limits": [-1, 1]}],
    "tool": {"xyz": [1, 0, 0]}})");
}

void require_error(const json& j, const std::string& message) {
  CHECK_THROWS_WITH(arm_from_json(j), message);
}

}  // namespace

TEST_CASE("the shipped arms load with PRODUCT.md's numbers") {
  const Arm planar2 = shipped_arm("planar2");
  CHECK(planar2.dof() == 2);
  CHECK(planar2.task == TaskKind::kPlanarXY);
  CHECK(planar2.joints[0].lower == -M_PI);
  CHECK(planar2.reach_radius == Approx(2.0));

  const Arm puma3 = shipped_arm("puma3");
  CHECK(puma3.task == TaskKind::kPosition);
  CHECK(puma3.joints[1].lower == Approx(-45 * M_PI / 180).epsilon(1e-15));
  CHECK(puma3.joints[2].upper == Approx(45 * M_PI / 180).epsilon(1e-15));

  const Arm omx4 = shipped_arm("omx4");
  CHECK(omx4.task == TaskKind::kPositionPitch);
  CHECK(omx4.joints[0].upper == Approx(0.9 * M_PI).epsilon(1e-15));
  CHECK(omx4.joints[3].lower == Approx(-0.57 * M_PI).epsilon(1e-15));
  CHECK(omx4.joints[1].axis == Eigen::Vector3d::UnitY());

  const Arm kr6 = shipped_arm("kr6");
  CHECK(kr6.dof() == 6);
  CHECK(kr6.task == TaskKind::kPose);
  CHECK(kr6.joints[0].axis == Eigen::Vector3d(0, 0, -1));
  CHECK(kr6.joints[5].upper == Approx(350 * M_PI / 180).epsilon(1e-15));
  CHECK(kr6.reach_centre_W.isApprox(Eigen::Vector3d(0, 0, 0.4)));
  CHECK(kr6.reach_radius == Approx(0.025 + 0.455 + 0.035 + 0.420 + 0.080));
  for (const auto& name : test::arm_names()) CHECK(shipped_arm(name).conditioning.valid());
}

TEST_CASE("load_arm finds a name under models/arms and says what it tried") {
  CHECK(load_arm("kr6").name == "kr6");
  CHECK_THROWS_WITH(load_arm("nope"), Catch::StartsWith("arm 'nope': not found (tried ") &&
                                          Catch::Contains("models/arms/nope.json"));
  CHECK_THROWS_WITH(load_arm("/no/such/arm.json"), Catch::Contains("not found"));
}

TEST_CASE("arm_to_json round trips exactly") {
  for (const auto& name : test::arm_names()) {
    const Arm arm = shipped_arm(name);
    const Arm again = arm_from_json(arm_to_json(arm));
    Rng rng(4);
    const JointVec q = sample_joints(arm, rng);
    CHECK(fk(again, q).matrix() == fk(arm, q).matrix());
    CHECK(again.conditioning.p20 == arm.conditioning.p20);
    CHECK(arm_to_json(again) == arm_to_json(arm));
  }
}

TEST_CASE("with_task: kr6 positioned only, as if its file said so") {
  const Arm kr6 = shipped_arm("kr6");
  const Arm pos = with_task(kr6, TaskKind::kPosition);
  CHECK(pos.task == TaskKind::kPosition);
  CHECK(pos.name == "kr6");
  CHECK_FALSE(pos.conditioning.valid());  // the pose Jacobian's thresholds do not carry over
  CHECK(arm_to_json(pos)["task"] == "position");
  CHECK(arm_from_json(arm_to_json(pos)).task == TaskKind::kPosition);  // models embed this arm
  Rng rng(9);
  const JointVec q = sample_joints(kr6, rng);
  CHECK(fk(pos, q).matrix() == fk(kr6, q).matrix());
  CHECK(with_task(kr6, TaskKind::kPose).conditioning.valid());  // the same task: unchanged
  CHECK_THROWS_WITH(with_task(shipped_arm("puma3"), TaskKind::kPose), Catch::Contains("arm.task"));
}

TEST_CASE("a user's arm: dh and urdf joints, base and tool") {
  json j = planar();
  j["base"] = {{"xyz", {0, 0, 1}}};
  const Arm arm = arm_from_json(j);
  CHECK(fk(arm, Eigen::Vector2d(0, 0)).translation().isApprox(Eigen::Vector3d(2, 0, 1)));
  json dh = planar();
  dh["joints"][1] = {{"dh", {{"a", 1.0}, {"alpha", 0.0}, {"d", 0.0}}}, {"limits_deg", {-90, 90}}};
  dh["joints"][0] = {{"dh", {{"a", 1.0}, {"alpha", 0.0}, {"d", 0.0}}}, {"limits_deg", {-90, 90}}};
  dh.erase("tool");
  const Arm dh_arm = arm_from_json(dh);
  CHECK(fk(dh_arm, Eigen::Vector2d(0.3, 0.2))
            .translation()
            .isApprox(
                Eigen::Vector3d(std::cos(0.3) + std::cos(0.5), std::sin(0.3) + std::sin(0.5), 0)));
}

TEST_CASE("every malformed arm field is named with expected and actual") {
  json j = planar();
  j["format"] = "neurokin-model";
  require_error(j, "arm.format: expected \"neurokin-arm\", got \"neurokin-model\"");
  j = planar();
  j["version"] = 2;
  require_error(j, "arm.version: expected an integer in [1, 1], got 2");
  j = planar();
  j.erase("name");
  require_error(j, "arm.name: missing (required)");
  j = planar();
  j["task"] = "orbit";
  require_error(j,
                "task: expected one of planar_xy, position, position_pitch, pose, got \"orbit\"");
  j = planar();
  j["joints"] = json::array();
  require_error(j, "arm.joints: expected an array of 1 to 12 joints, got array []");
  j = planar();
  for (int i = 0; i < 12; ++i) j["joints"].push_back(j["joints"][0]);
  CHECK_THROWS_WITH(arm_from_json(j),
                    Catch::StartsWith("arm.joints: expected an array of 1 to 12 joints"));
  j = planar();
  j["joints"][1]["axis"] = {0, 0, 0};
  require_error(j, "arm.joints[1].axis: expected a non-zero 3-vector, got array [0,0,0]");
  j = planar();
  j["joints"][1]["axis"] = {0, 1};
  require_error(j, "arm.joints[1].axis: expected an array of 3 numbers, got array [0,1]");
  j = planar();
  j["joints"][0]["axis"] = {0, "z", 1};
  require_error(j, "arm.joints[0].axis[1]: expected a number, got \"z\"");
  j = planar();
  j["joints"][0]["limits"] = {1, -1};
  require_error(j, "arm.joints[0].limits: expected lower <= upper, got array [1,-1]");
  j = planar();
  j["joints"][0]["limits_deg"] = {-1, 1};
  require_error(
      j,
      "arm.joints[0]: expected exactly one of limits (rad), limits_deg, limits_pi, got 2 of them");
  j = planar();
  j["joints"][0]["dh"] = {{"a", 1}, {"alpha", 0}, {"d", 0}};
  require_error(j,
                "arm.joints[0]: expected exactly one of dh {a, alpha, d, theta} or origin {xyz, "
                "rpy} + axis, got both");
  // absurd lengths: fk gave inf poses and ik NaN errors reported as 0 (found by
  // scripts/hostile_inputs.sh)
  j = planar();
  j["joints"][1]["origin"]["xyz"] = {1e308, 0, 0};
  require_error(j, "arm.joints[1].origin.xyz: expected coordinates within +-1e6 m, got array [1e+308,0,0]");
  j = planar();
  j["tool"]["xyz"] = {0, -2e6, 0};
  require_error(j, "arm.tool.xyz: expected coordinates within +-1e6 m, got array [0,-2000000.0,0]");
  j = planar();
  j["joints"][0].erase("origin");
  j["joints"][0].erase("axis");
  j["joints"][0]["dh"] = {{"a", 1}, {"alpha", 0}, {"d", -1e7}};
  require_error(j, "arm.joints[0].dh.d: expected a length within +-1e6 m, got -10000000.0");
  j = planar();
  j["joints"][0]["type"] = "prismatic";
  require_error(j, "arm.joints[0].type: expected \"revolute\", got \"prismatic\"");
  j = planar();
  j["tool"]["scale"] = 2;
  require_error(j, "arm.tool.scale: unknown field (expected xyz, rpy)");
  j = planar();
  j["task"] = "pose";
  require_error(
      j,
      "arm.task: expected a task with at most dof() = 2 controlled dimensions, got \"pose\" (6)");
  j = planar();
  j["analytic"] = "magic";
  require_error(j, "arm.analytic: expected \"planar2r\", \"puma_position\", \"omx_position_pitch\", \"spherical_wrist\" or \"\", got \"magic\"");
  j = planar();
  j["conditioning"] = {{"p20", 0.5}, {"p80", 0.2}, {"samples", 10}, {"seed", 1}};
  CHECK_THROWS_WITH(arm_from_json(j),
                    Catch::StartsWith("arm.conditioning: expected 0 <= p20 <= p80 <= 1"));
  CHECK_THROWS_WITH(arm_from_json(json::array()), "arm: expected an object, got array []");
}

TEST_CASE("arm text: invalid and absurdly nested JSON are errors, not crashes") {
  CHECK_THROWS_WITH(arm_from_json_text("{\"format\": "), Catch::StartsWith("arm: not valid JSON"));
  // a number beyond a double is nlohmann's out_of_range, not a parse_error (found by
  // tests/fuzz/fuzz_arm: "3.14159E2653589793" in the limits)
  CHECK_THROWS_WITH(arm_from_json_text("{\"limits\": [3.14159E2653589793]}"),
                    "arm: not valid JSON: [json.exception.out_of_range.406] number overflow "
                    "parsing '3.14159E2653589793'");
  CHECK_THROWS_WITH(arm_from_json_text(std::string(100000, '[') + std::string(100000, ']')),
                    "arm: expected JSON nested at most 64 deep, got 100000 levels");
}

TEST_CASE("check_task_vector and within_limits") {
  const Arm kr6 = shipped_arm("kr6");
  Eigen::VectorXd x(7);
  x << 0.5, 0, 0.5, 0, 0, 0, 1;
  CHECK_NOTHROW(check_task_vector(kr6, x, "x"));
  x[6] = 0.5;
  CHECK_THROWS_WITH(check_task_vector(kr6, x, "x"),
                    Catch::StartsWith("x quaternion (qx, qy, qz, qw): expected unit norm"));
  CHECK(within_limits(kr6, Eigen::VectorXd::Zero(6)));
  Eigen::VectorXd q = Eigen::VectorXd::Zero(6);
  q[1] = 1.0;  // a2 upper limit is 45 deg
  CHECK_FALSE(within_limits(kr6, q));
  CHECK_FALSE(within_limits(kr6, Eigen::VectorXd::Zero(5)));
}
