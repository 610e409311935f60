// neurokin track: a trajectory model (seed 004) and a stateless ik model follow the same paths,
// a circle and a straight line, from the same start: every IK branch of the path's first
// point. For each: the tracking error (mean, max) and the largest joint jump between two
// consecutive points, where a branch flip shows.
#include <fmt/format.h>

#include <filesystem>
#include <limits>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/trajectory.h"

namespace neurokin::cli {
namespace {

struct TrackArgs {
  std::string model, stateless;
  std::vector<double> circle, line;
  int points = 200;
  TrackOptions opt;
  bool json = false;
};

struct NamedPath {
  std::string name;
  nlohmann::json spec;
  std::vector<TaskVec> targets;
};

Eigen::Vector3d point(const std::vector<double>& v, std::size_t at) {
  return {v[at], v[at + 1], v[at + 2]};
}

// the paths the flags ask for; the parts of a target a path does not set (pitch, orientation)
// are those of the arm at the middle of its limits
std::vector<NamedPath> paths(const Arm& arm, const TrackArgs& a) {
  if (a.circle.empty() && a.line.empty())
    throw Error(
        "track: expected --circle and/or --line, got neither (e.g. --circle 1,0,0,0.5 --line "
        "1.5,-0.5,0,0.5,1.2,0 "
        "for planar2: centre, radius; from, to; metres)");
  const TaskVec like = task_vector(arm, fk(arm, arm.mid()));
  std::vector<NamedPath> out;
  if (!a.circle.empty()) {
    if (a.circle.size() != 4 && a.circle.size() != 7)
      throw_expected("--circle", "4 or 7 numbers (cx,cy,cz,radius[,nx,ny,nz])",
                     std::to_string(a.circle.size()));
    const Eigen::Vector3d normal =
        a.circle.size() == 7 ? point(a.circle, 4) : Eigen::Vector3d::UnitZ();
    out.push_back({"circle",
                   {{"centre", {a.circle[0], a.circle[1], a.circle[2]}},
                    {"radius", a.circle[3]},
                    {"normal", {normal.x(), normal.y(), normal.z()}}},
                   circle_path(arm, point(a.circle, 0), a.circle[3], normal, a.points, like)});
  }
  if (!a.line.empty()) {
    if (a.line.size() != 6)
      throw_expected("--line", "6 numbers (ax,ay,az,bx,by,bz)", std::to_string(a.line.size()));
    out.push_back(
        {"line",
         {{"from", {a.line[0], a.line[1], a.line[2]}}, {"to", {a.line[3], a.line[4], a.line[5]}}},
         line_path(arm, point(a.line, 0), point(a.line, 3), a.points, like)});
  }
  return out;
}

// where a path starts: every closed-form branch of its first point within the limits, else the
// core's DLS from the middle of the limits; Error when the first point is not reachable
std::vector<std::pair<std::string, JointVec>> starts(const Arm& arm, const NamedPath& p) {
  std::vector<std::pair<std::string, JointVec>> s;
  if (has_analytic_ik(arm)) {
    const AnalyticSolutions sol = solve_ik_analytic(arm, p.targets.front());
    for (int k = 0; k < sol.count; ++k) s.emplace_back(sol.sol[k].branch, sol.sol[k].q);
  } else {
    const IkResult r = solve_ik(arm, p.targets.front());
    if (r.status == IkStatus::kConverged) s.emplace_back("dls", r.q);
  }
  if (s.empty())
    throw Error(fmt::format("track: the {}'s first point is not reachable by {} within its limits",
                            p.name, arm.name));
  return s;
}

// a start's branch is followed as far as a closed-form solution within the limits stays within
// this of the previous point's (path points are a few cm apart: joints move hundredths of a rad)
constexpr double kFollowJumpRad = 0.5;

// the first point where the start's branch cannot go on: no closed-form solution within the
// limits near the previous point's (the branch leaves the limits or the workspace there, and a
// solver that keeps its branch must stop or lag); -1 when it follows the whole path, or the arm
// has no closed form
int branch_ends_at(const Arm& arm, const std::vector<TaskVec>& path, const JointVec& q0) {
  if (!has_analytic_ik(arm)) return -1;
  JointVec q = q0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const AnalyticSolutions sol = solve_ik_analytic(arm, path[i]);
    double nearest = std::numeric_limits<double>::infinity();
    int best = -1;
    for (int k = 0; k < sol.count; ++k) {
      double d = 0;
      for (int j = 0; j < arm.dof(); ++j)
        d = std::max(d, std::abs(wrap_angle(sol.sol[k].q[j] - q[j])));
      if (d < nearest) nearest = d, best = k;
    }
    if (nearest > kFollowJumpRad) return static_cast<int>(i);
    q = sol.sol[best].q;
  }
  return -1;
}

// the figures of one run; with `until` >= 0 also the mean error over the points before it
nlohmann::json to_json(const TrackResult& r, int until) {
  nlohmann::json j = {{"mean_error_mm", r.mean_error_m * 1e3},
                      {"max_error_mm", r.max_error_m * 1e3},
                      {"max_joint_jump_rad", r.max_jump_rad},
                      {"max_joint_jump_point", r.max_jump_point}};
  if (until > 0) {
    double sum = 0;
    for (int i = 0; i < until; ++i) sum += r.error_m[i];
    j["mean_error_mm_while_followable"] = sum / until * 1e3;
  }
  return j;
}

// the stateless model to compare with: --stateless, else ik.json beside the model when there is one
std::string stateless_path(const TrackArgs& a) {
  if (!a.stateless.empty()) return a.stateless;
  const auto beside = std::filesystem::path(a.model).parent_path() / "ik.json";
  return std::filesystem::exists(beside) ? beside.string() : "";
}

void run_track(const TrackArgs& args) {
  const Model m = load_model(args.model);
  if (m.kind != ModelKind::kTrajectory)
    throw Error(fmt::format("{}: expected a trajectory model, got a {} model", args.model,
                            model_kind_name(m.kind)));
  const std::string spath = stateless_path(args);
  std::optional<Model> s;
  if (!spath.empty()) {
    s = load_model(spath);
    if (s->kind != ModelKind::kIk || s->arm.name != m.arm.name)
      throw Error(fmt::format(
          "{}: expected an ik model of arm '{}' to compare with, got a {} model of '{}'", spath,
          m.arm.name, model_kind_name(s->kind), s->arm.name));
  }
  nlohmann::json out = {
      {"model", args.model},
      {"stateless", spath.empty() ? nlohmann::json(nullptr) : nlohmann::json(spath)},
      {"arm", m.arm.name},
      {"points", args.points},
      {"max_step_m", args.opt.max_step},
      {"substeps", args.opt.substeps},
      {"paths", nlohmann::json::array()}};
  for (const NamedPath& p : paths(m.arm, args)) {
    nlohmann::json jp = {{"path", p.name}, {"spec", p.spec}, {"starts", nlohmann::json::array()}};
    for (const auto& [branch, q0] : starts(m.arm, p)) {
      const int ends = branch_ends_at(m.arm, p.targets, q0);
      nlohmann::json js = {{"branch", branch},
                           {"q0", std::vector<double>(q0.data(), q0.data() + q0.size())},
                           {"branch_followable", ends < 0}};
      if (ends >= 0) js["branch_ends_at_point"] = ends;
      js["trajectory"] = to_json(track_path(m, p.targets, q0, args.opt), ends);
      if (s) js["stateless"] = to_json(track_path(*s, p.targets, q0, args.opt), ends);
      jp["starts"].push_back(js);
    }
    out["paths"].push_back(jp);
  }
  if (args.json) {
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("{} ({}) against {}: {} points a path, steps of at most {} m, {} a point\n",
             args.model, m.arm.name, spath.empty() ? "no stateless model" : spath, args.points,
             args.opt.max_step, args.opt.substeps);
  fmt::print("{:<8} {:<28} {:<10} {:>10} {:>10} {:>14}\n", "path", "start branch", "model",
             "mean mm", "max mm", "max jump rad");
  for (const auto& jp : out["paths"])
    for (const auto& js : jp["starts"]) {
      for (const char* who : {"trajectory", "stateless"}) {
        if (!js.contains(who)) continue;
        const auto& r = js[who];
        fmt::print("{:<8} {:<28} {:<10} {:>10.3f} {:>10.3f} {:>14.4f}\n",
                   jp["path"].get<std::string>(), js["branch"].get<std::string>(), who,
                   r["mean_error_mm"].get<double>(), r["max_error_mm"].get<double>(),
                   r["max_joint_jump_rad"].get<double>());
      }
      if (js.contains("branch_ends_at_point"))
        fmt::print(
            "  the {} branch leaves the limits at point {}: no solver keeping it can follow "
            "further "
            "(trajectory mean {:.3f} mm before it)\n",
            js["branch"].get<std::string>(), js["branch_ends_at_point"].get<int>(),
            js["trajectory"].value("mean_error_mm_while_followable", 0.0));
    }
}

}  // namespace

void add_track_command(CLI::App& app) {
  auto args = std::make_shared<TrackArgs>();
  CLI::App* cmd = app.add_subcommand(
      "track", "Follow a circle and a line with a trajectory model and a stateless one");
  cmd->footer(
      "Each path starts at every closed-form IK branch of its first point within the limits (the\n"
      "core's DLS for arms without one). The trajectory model takes --substeps steps towards each\n"
      "point, each from the current joints to a target at most --max-step metres away; the "
      "stateless\n"
      "ik model (--stateless, default: ik.json beside the model) answers each point alone. "
      "Reported:\n"
      "tracking error (mean, max, mm) and the largest joint jump between consecutive points (rad,\n"
      "wrapped): a branch flip is a jump of about a radian or more. Where the start's branch "
      "leaves\n"
      "the joint limits along the path (no closed-form solution within the limits near the last "
      "one),\n"
      "that point is reported and the mean error before it: no solver keeping the branch goes "
      "further.\n\n"
      "Example: neurokin track --model models/planar2/ik-trajectory.json --circle 1,0,0,0.5 \\\n"
      "           --line 1.5,-0.5,0,0.5,1.2,0 --points 200 --json");
  cmd->add_option("--model", args->model, "trajectory model file (JSON)")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--stateless", args->stateless,
                  "ik model to compare with (default: ik.json beside --model)")
      ->type_name("FILE");
  cmd->add_option("--circle", args->circle,
                  "circle: centre x,y,z, radius[, normal x,y,z] (m; normal default z)")
      ->delimiter(',')
      ->expected(1, 7)
      ->type_name("CX,CY,CZ,R[,NX,NY,NZ]");
  cmd->add_option("--line", args->line, "line: from x,y,z, to x,y,z (m)")
      ->delimiter(',')
      ->expected(1, 6)
      ->type_name("AX,AY,AZ,BX,BY,BZ");
  cmd->add_option("--points", args->points, "points a path")
      ->check(CLI::Range(2, 1000000))
      ->capture_default_str();
  cmd->add_option("--max-step", args->opt.max_step,
                  "metres a step moves the target at most (0: no limit)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  cmd->add_option("--substeps", args->opt.substeps, "trajectory model steps a point")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run_track(*args); });
}

}  // namespace neurokin::cli
