// The neurokin command line, driven as a user would: the built binary, files in a temporary
// directory, exit codes, stdout and stderr.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/csv.h"
#include "neurokin/arm.h"
#include "neurokin/conditioning.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"
#include "neurokin/random.h"

namespace fs = std::filesystem;
using neurokin::io::CsvWriter;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

struct Run {
  int code = -1;
  std::string out, err;
};

// a CSV file as text cells, for outputs that mix numbers and words
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int col(const std::string& name) const {
    for (std::size_t k = 0; k < header.size(); ++k)
      if (header[k] == name) return static_cast<int>(k);
    FAIL("no column " << name);
    return -1;
  }
  double num(std::size_t row, const std::string& name) const {
    return std::stod(rows.at(row).at(col(name)));
  }
};

Csv parse_csv(const std::string& text) {
  Csv c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto cells = neurokin::io::split_csv_line(line);
    if (c.header.empty()) {
      c.header = std::move(cells);
    } else {
      REQUIRE(cells.size() == c.header.size());
      c.rows.push_back(std::move(cells));
    }
  }
  return c;
}

// a fresh working directory per test; the binary runs inside it
struct CliDir {
  fs::path path;
  CliDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("neurokin_test_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~CliDir() { fs::remove_all(path); }

  // runs `neurokin args` in the directory (args are shell words), capturing both streams
  Run run(const std::string& args) const {
    const std::string cmd =
        "cd '" + path.string() + "' && '" NEUROKIN_CLI "' " + args + " > .stdout 2> .stderr";
    const int status = std::system(cmd.c_str());
    Run r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(path / ".stdout");
    r.err = slurp(path / ".stderr");
    fs::remove(path / ".stdout");
    fs::remove(path / ".stderr");
    return r;
  }
  fs::path operator/(const std::string& name) const { return path / name; }
};

// an error as users see it: exit 1, one line on stderr starting "neurokin: ", nothing on stdout
void check_error(const Run& r, const std::string& fragment) {
  INFO("stderr: " << r.err);
  CHECK(r.code == 1);
  CHECK(r.err.rfind("neurokin: ", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(r.err.find(fragment) != std::string::npos);
  CHECK(r.out.empty());
}

std::vector<std::string> joint_names(const neurokin::Arm& arm) {
  std::vector<std::string> names;
  for (const auto& j : arm.joints) names.push_back(j.name);
  return names;
}

// n joint configurations uniform within the limits, as a CSV file
std::vector<Eigen::VectorXd> write_random_joints(const neurokin::Arm& arm, int n,
                                                 std::uint64_t seed, const fs::path& file) {
  neurokin::Rng rng(seed);
  CsvWriter w(joint_names(arm));
  std::vector<Eigen::VectorXd> qs;
  for (int i = 0; i < n; ++i) {
    qs.push_back(neurokin::sample_joints(arm, rng));
    for (int k = 0; k < arm.dof(); ++k) w.add(qs.back()[k]);
    w.end_row();
  }
  write_text(file, w.text());
  return qs;
}

// a model whose network is one dense layer: y = W x + b, raw encoding, no normalisation
neurokin::Model dense_model(neurokin::ModelKind kind, const std::string& arm_name,
                            const neurokin::MatrixRM& W, const Eigen::VectorXf& b) {
  neurokin::Model m;
  m.kind = kind;
  m.arm = neurokin::load_arm(arm_name);
  neurokin::Network& net = m.net;
  net.input_size = static_cast<int>(W.cols());
  net.encoding = neurokin::InputEncoding::kRaw;
  net.in_mean = Eigen::VectorXf::Zero(W.cols());
  net.in_std = Eigen::VectorXf::Ones(W.cols());
  neurokin::Layer dense;
  dense.type = neurokin::Layer::Type::kDense;
  dense.W = W;
  dense.b = b;
  dense.in = static_cast<int>(W.cols());
  dense.out = static_cast<int>(W.rows());
  net.layers.push_back(dense);
  net.out_mean = Eigen::VectorXf::Zero(W.rows());
  net.out_std = Eigen::VectorXf::Ones(W.rows());
  net.decoding = kind == neurokin::ModelKind::kIk ? neurokin::OutputDecoding::kAngles
                                                  : neurokin::OutputDecoding::kSoftmax;
  m.metadata = {{"config", {{"seed", 1}}}, {"metrics", {{"fk_mean_mm", 12.5}}}};
  return m;
}

void write_model(const neurokin::Model& m, const fs::path& file) {
  write_text(file, neurokin::model_to_json(m).dump());
}

// planar2 ik model predicting q = (x, y): wrong but finite, which makes its error checkable
neurokin::Model identity_planar2() {
  return dense_model(neurokin::ModelKind::kIk, "planar2", neurokin::MatrixRM::Identity(2, 2),
                     Eigen::VectorXf::Zero(2));
}

}  // namespace

TEST_CASE("cli: --help, --version and usage errors", "[cli]") {
  CliDir dir;
  Run r = dir.run("--help");
  CHECK(r.code == 0);
  for (const char* cmd : {"fk", "ik", "predict", "info"})
    CHECK(r.out.find(cmd) != std::string::npos);
  r = dir.run("ik --help");
  CHECK(r.code == 0);
  CHECK(r.out.find("--tol-pos") != std::string::npos);
  CHECK(r.out.find("unreachable") != std::string::npos);
  r = dir.run("--version");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("neurokin 0.", 0) == 0);

  // usage errors exit 2 with a one-line message pointing at the help
  r = dir.run("");
  CHECK(r.code == 2);
  CHECK(r.err.rfind("neurokin: ", 0) == 0);
  r = dir.run("fk --in q.csv");
  CHECK(r.code == 2);
  CHECK(r.err == "neurokin: --arm is required (see 'neurokin fk --help')\n");
  r = dir.run("ik --arm planar2 --in t.csv --tol-pos -1");
  CHECK(r.code == 2);
  CHECK(r.err ==
        "neurokin: --tol-pos: expected a number > 0, got \"-1\" (see 'neurokin ik --help')\n");
  r = dir.run("fly --arm kr6");
  CHECK(r.code == 2);
}

TEST_CASE("cli: fk at q = 0 matches hand calculations for all four arms", "[cli][fk]") {
  CliDir dir;
  struct Case {
    const char* arm;
    const char* q;
    std::vector<double> pose;  // x,y,z,qx,qy,qz,qw
  };
  const double h = std::sqrt(0.5);
  const std::vector<Case> cases = {
      {"planar2", "joint1,joint2\n0,0\n", {2, 0, 0, 0, 0, 0, 1}},
      // DH: (a2 + a3, -d3, d1 + tool z)
      {"puma3", "J1,J2,J3\n0,0,0\n", {0.4521, -0.15005, 1.1036, 0, 0, 0, 1}},
      // URDF origins summed along x and z
      {"omx4", "j1,j2,j3,j4\n0,0,0,0\n", {0.286, 0, 0.2045, 0, 0, 0, 1}},
      // PRODUCT.md: tool0 at (0.980, 0, 0.435), rotated +90 deg about y
      {"kr6", "a1,a2,a3,a4,a5,a6\n0,0,0,0,0,0\n", {0.980, 0, 0.435, 0, h, 0, h}},
  };
  for (const auto& c : cases) {
    INFO(c.arm);
    write_text(dir / "q.csv", c.q);
    const Run r = dir.run(std::string("fk --arm ") + c.arm + " --in q.csv --out poses.csv");
    REQUIRE(r.code == 0);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    const Csv poses = parse_csv(slurp(dir / "poses.csv"));
    CHECK(poses.header == std::vector<std::string>{"x", "y", "z", "qx", "qy", "qz", "qw"});
    REQUIRE(poses.rows.size() == 1);
    for (int k = 0; k < 7; ++k)
      CHECK(std::stod(poses.rows[0][k]) == Approx(c.pose[k]).margin(1e-12));
  }
}

TEST_CASE("cli: fk reads stdin, writes stdout, and --task gives the task vector", "[cli][fk]") {
  CliDir dir;
  write_text(dir / "q.csv", "a,b,c,d\n0,0,0,0\n0.1,0.2,0.3,0.4\n");
  const Run r = dir.run("fk --arm omx4 --in - --task < q.csv");
  REQUIRE(r.code == 0);
  const Csv t = parse_csv(r.out);
  CHECK(t.header == std::vector<std::string>{"x", "y", "z", "pitch"});
  REQUIRE(t.rows.size() == 2);
  CHECK(t.num(0, "x") == Approx(0.286));
  // omx4 pitch = q2 + q3 + q4
  CHECK(t.num(1, "pitch") == Approx(0.9).margin(1e-12));
  // 17 significant digits
  CHECK(t.rows[1][0].size() >= 17);
}

TEST_CASE("cli: ik round trip fk -> ik -> fk on random reachable targets", "[cli][ik]") {
  CliDir dir;
  constexpr int kTargets = 300;
  for (const char* name : {"planar2", "puma3", "omx4", "kr6"}) {
    INFO(name);
    const neurokin::Arm arm = neurokin::load_arm(name);
    write_random_joints(arm, kTargets, 42, dir / "q.csv");
    const std::string a = std::string(" --arm ") + name;
    REQUIRE(dir.run("fk" + a + " --in q.csv --task --out targets.csv").code == 0);
    const Run r = dir.run("ik" + a + " --in targets.csv --out sol.csv --time-ms 1000 --seed 7");
    INFO(r.err);
    REQUIRE(r.code == 0);

    // every target solved to tolerance, as reported
    const Csv sol = parse_csv(slurp(dir / "sol.csv"));
    std::vector<std::string> header = joint_names(arm);
    for (const char* c :
         {"status", "position_error_m", "orientation_error_rad", "iterations", "microseconds"}) {
      header.push_back(c);
    }
    CHECK(sol.header == header);
    REQUIRE(sol.rows.size() == kTargets);
    CsvWriter q_out(joint_names(arm));
    int converged = 0;
    for (std::size_t i = 0; i < sol.rows.size(); ++i) {
      converged += sol.rows[i][sol.col("status")] == "converged";
      CHECK(sol.num(i, "position_error_m") < 1e-5);
      CHECK(sol.num(i, "orientation_error_rad") < 1e-4);
      for (int k = 0; k < arm.dof(); ++k) q_out.add(std::stod(sol.rows[i][k]));
      q_out.end_row();
    }
    CHECK(converged == kTargets);

    // the joint angles, through fk again, land on the targets
    write_text(dir / "q2.csv", q_out.text());
    REQUIRE(dir.run("fk" + a + " --in q2.csv --task --out reached.csv").code == 0);
    const Csv target = parse_csv(slurp(dir / "targets.csv"));
    const Csv reached = parse_csv(slurp(dir / "reached.csv"));
    REQUIRE(reached.rows.size() == kTargets);
    for (std::size_t i = 0; i < kTargets; ++i) {
      Eigen::Vector3d dp = Eigen::Vector3d::Zero();
      const int np = arm.task == neurokin::TaskKind::kPlanarXY ? 2 : 3;
      for (int k = 0; k < np; ++k)
        dp[k] = reached.num(i, target.header[k]) - target.num(i, target.header[k]);
      CHECK(dp.norm() < 1e-5);
      if (arm.task == neurokin::TaskKind::kPositionPitch) {
        CHECK(std::abs(neurokin::wrap_angle(reached.num(i, "pitch") - target.num(i, "pitch"))) <
              1e-4);
      }
      if (arm.task == neurokin::TaskKind::kPose) {
        const auto quat = [](const Csv& c, std::size_t row) {
          return Eigen::Quaterniond(c.num(row, "qw"), c.num(row, "qx"), c.num(row, "qy"),
                                    c.num(row, "qz"));
        };
        CHECK(quat(reached, i).angularDistance(quat(target, i)) < 1e-4);
      }
    }
  }
}

TEST_CASE("cli: ik results depend on the seed and the row, not on the other rows", "[cli][ik]") {
  CliDir dir;
  const neurokin::Arm arm = neurokin::load_arm("kr6");
  write_random_joints(arm, 20, 3, dir / "q.csv");
  REQUIRE(dir.run("fk --arm kr6 --in q.csv --task --out t.csv").code == 0);
  // the first 5 rows alone must give what they give inside the whole file
  const std::string all = slurp(dir / "t.csv");
  std::string head;
  std::istringstream in(all);
  for (std::string line; head.size() < all.size() && std::getline(in, line);) {
    head += line + "\n";
    if (std::count(head.begin(), head.end(), '\n') == 6) break;
  }
  write_text(dir / "t5.csv", head);
  const std::string opts = " --time-ms 1000 --seed 11";
  REQUIRE(dir.run("ik --arm kr6 --in t.csv --out a.csv" + opts).code == 0);
  REQUIRE(dir.run("ik --arm kr6 --in t.csv --out b.csv" + opts).code == 0);
  REQUIRE(dir.run("ik --arm kr6 --in t5.csv --out c.csv" + opts).code == 0);
  const Csv a = parse_csv(slurp(dir / "a.csv")), b = parse_csv(slurp(dir / "b.csv")),
            c = parse_csv(slurp(dir / "c.csv"));
  REQUIRE(c.rows.size() == 5);
  const int us = a.col("microseconds");
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    auto ra = a.rows[i], rb = b.rows[i];
    ra.erase(ra.begin() + us);
    rb.erase(rb.begin() + us);
    CHECK(ra == rb);
    if (i < 5) {
      auto rc = c.rows[i];
      rc.erase(rc.begin() + us);
      CHECK(ra == rc);
    }
  }
}

TEST_CASE("cli: an unreachable target is a result, not an error", "[cli][ik]") {
  CliDir dir;
  write_text(dir / "t.csv", "x,y\n3,0\n1,1\n");
  const Run r = dir.run("ik --arm planar2 --in t.csv --out q.csv");
  CHECK(r.code == 0);
  CHECK(r.err.empty());
  const Csv q = parse_csv(slurp(dir / "q.csv"));
  REQUIRE(q.rows.size() == 2);
  CHECK(q.rows[0][q.col("status")] == "unreachable");
  CHECK(q.num(0, "position_error_m") > 0.9);
  CHECK(q.rows[1][q.col("status")] == "converged");

  write_text(dir / "p.csv", "x,y,z,qx,qy,qz,qw\n5,0,0,0,0,0,1\n");
  const Run k = dir.run("ik --arm kr6 --in p.csv");
  CHECK(k.code == 0);
  CHECK(parse_csv(k.out).rows.at(0).at(6) == "unreachable");
}

TEST_CASE("cli: ik --json prints a summary, the CSV only with --out", "[cli][ik]") {
  CliDir dir;
  write_text(dir / "t.csv", "x,y\n3,0\n1,1\n0.5,0.2\n1.2,-0.7\n");
  Run r = dir.run("ik --arm planar2 --in t.csv --json");
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("n") == 4);
  CHECK(j.at("converged") == 3);
  CHECK(j.at("success_rate").get<double>() == Approx(0.75));
  for (const char* k : {"mean", "p50", "p99"}) {
    CHECK(j.at("time_us").at(k).get<double>() > 0);
  }
  CHECK(j.at("time_us").at("p50").get<double>() <= j.at("time_us").at("p99").get<double>());
  CHECK(j.at("status").at("unreachable") == 1);
  CHECK_FALSE(fs::exists(dir / "q.csv"));

  r = dir.run("ik --arm planar2 --in t.csv --json --out q.csv");
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out).at("n") == 4);
  CHECK(parse_csv(slurp(dir / "q.csv")).rows.size() == 4);

  // both documents on stdout would be unreadable
  CHECK(dir.run("ik --arm planar2 --in t.csv --json --out -").code == 2);
}

TEST_CASE("cli: bad input exits 1 naming line and column, and writes nothing", "[cli][errors]") {
  CliDir dir;
  write_text(dir / "t.csv", "x,y,z\n0.5,0,0.5\n0.4,abc,0.3\n");
  check_error(dir.run("ik --arm puma3 --in t.csv --out q.csv"),
              "t.csv:3: column 2 (y): expected a number, got \"abc\"");
  CHECK_FALSE(fs::exists(dir / "q.csv"));

  // an existing output survives a failed run
  write_text(dir / "q.csv", "keep me\n");
  write_text(dir / "t.csv", "x,y,z\n0.5,0,0.5\n0.4,0.1\n");
  check_error(dir.run("ik --arm puma3 --in t.csv --out q.csv"),
              "t.csv:3: expected 3 columns (x,y,z), got 2");
  CHECK(slurp(dir / "q.csv") == "keep me\n");

  write_text(dir / "q.csv", "a1,a2\n0,nan\n");
  check_error(dir.run("fk --arm planar2 --in q.csv --out p.csv"),
              "q.csv:2: column 2 (joint2): expected a finite number, got \"nan\"");
  CHECK_FALSE(fs::exists(dir / "p.csv"));

  // a pose target whose quaternion is not unit is refused by the core's check, with the line
  write_text(dir / "t.csv", "x,y,z,qx,qy,qz,qw\n0.9,0,0.4,0,0,0,1\n0.9,0,0.4,0,0,0,2\n");
  check_error(dir.run("ik --arm kr6 --in t.csv --out q.csv"), "t.csv:3: target quaternion");

  check_error(dir.run("fk --arm planar2 --in missing.csv"), "missing.csv");
  write_text(dir / "q.csv", "j1,j2\n0,0\n");
  check_error(dir.run("fk --arm planar2 --in q.csv --out no_dir/p.csv"), "no_dir/p.csv");
}

// found by tests/fuzz/fuzz_task_vector: a target 1.1e37 m away is finite but overflows the
// network (NaN joints); ik --model said "solve_ik q0[0]: expected a finite angle" for the
// whole file instead of the row's status. Targets beyond float32 cannot enter the network.
TEST_CASE("cli: absurdly far targets are unreachable, or refused naming the line",
          "[cli][errors]") {
  CliDir dir;
  const std::string omx4 = "'" NEUROKIN_SOURCE_DIR "/models/omx4/ik.json'";
  write_text(dir / "t.csv",
             "x,y,z,pitch\n0.2,0,0.2,0\n"
             "1.099125421991228e+37,0.03560844594742338,0.3422759718029844,-1.3763764028953815\n");
  const Run r = dir.run("ik --model " + omx4 + " --in t.csv --out q.csv");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const Csv q = parse_csv(slurp(dir / "q.csv"));
  REQUIRE(q.rows.size() == 2);
  CHECK(q.rows[0][q.col("status")] == "converged");
  CHECK(q.rows[1][q.col("status")] == "unreachable");
  CHECK(std::isfinite(q.num(1, "joint1")));

  write_text(dir / "t.csv", "x,y,z,pitch\n0.2,0,0.2,0\n1e300,0,0.2,0\n");
  check_error(dir.run("predict --model " + omx4 + " --in t.csv --out p.csv"),
              "t.csv:3: target[0]: expected a finite float32, got 1e+300");
  CHECK_FALSE(fs::exists(dir / "p.csv"));
  check_error(dir.run("ik --model " + omx4 + " --in t.csv --out p.csv"), "t.csv:3: target[0]");
  CHECK_FALSE(fs::exists(dir / "p.csv"));
}

TEST_CASE("cli: an unknown arm gets a message naming it", "[cli][errors]") {
  CliDir dir;
  write_text(dir / "q.csv", "j1,j2\n0,0\n");
  check_error(dir.run("fk --arm nosucharm --in q.csv"), "nosucharm");
  check_error(dir.run("info nosucharm"), "nosucharm");
}

TEST_CASE("cli: predict with an ik model writes angles and their task error", "[cli][predict]") {
  CliDir dir;
  write_model(identity_planar2(), dir / "m.json");
  write_text(dir / "t.csv", "x,y\n1.5,0.3\n0.2,-1.1\n");
  Run r = dir.run("predict --model m.json --in t.csv --out q.csv");
  REQUIRE(r.code == 0);
  const Csv q = parse_csv(slurp(dir / "q.csv"));
  CHECK(q.header ==
        std::vector<std::string>{"joint1", "joint2", "position_error_m", "orientation_error_rad"});
  REQUIRE(q.rows.size() == 2);
  // the identity network predicts q = (x, y) (float precision); its error is |fk(q) - x|
  const neurokin::Arm arm = neurokin::load_arm("planar2");
  CHECK(q.num(0, "joint1") == Approx(1.5).epsilon(1e-6));
  CHECK(q.num(0, "joint2") == Approx(0.3).epsilon(1e-6));
  const Eigen::Vector2d q0(q.num(0, "joint1"), q.num(0, "joint2"));
  const double expected =
      (neurokin::fk(arm, q0).translation().head<2>() - Eigen::Vector2d(1.5, 0.3)).norm();
  CHECK(q.num(0, "position_error_m") == Approx(expected).epsilon(1e-12));

  // refinement drives the error to the solver's tolerance
  r = dir.run("predict --model m.json --in t.csv --out r.csv --refine 100");
  REQUIRE(r.code == 0);
  const Csv refined = parse_csv(slurp(dir / "r.csv"));
  for (std::size_t i = 0; i < 2; ++i) CHECK(refined.num(i, "position_error_m") < 1e-5);
}

TEST_CASE("cli: predict streams a file longer than a chunk, and a bad row late in it writes nothing",
          "[cli][predict]") {
  CliDir dir;
  write_model(identity_planar2(), dir / "m.json");
  // 10,000 rows: three chunks of 4096; row i (line i + 2) is bad when i == bad
  const auto targets = [](int bad) {
    std::string text = "x,y\n";
    for (int i = 0; i < 10000; ++i)
      text += (i == bad ? "zz" : std::to_string(0.5 + i * 1e-5)) + ",0.25\n";
    return text;
  };
  write_text(dir / "t.csv", targets(-1));
  Run r = dir.run("predict --model m.json --in t.csv --out q.csv");
  REQUIRE(r.code == 0);
  const Csv q = parse_csv(slurp(dir / "q.csv"));
  REQUIRE(q.rows.size() == 10000);
  CHECK(q.num(9999, "joint1") == Approx(0.5 + 9999 * 1e-5).epsilon(1e-6));
  // a bad row in the third chunk: its line is named, and q.csv is still the last good output
  write_text(dir / "t.csv", targets(8999));
  check_error(dir.run("predict --model m.json --in t.csv --out q.csv"), "t.csv:9001: column 1 (x)");
  CHECK(parse_csv(slurp(dir / "q.csv")).rows.size() == 10000);
  check_error(dir.run("predict --model m.json --in t.csv --out fresh.csv"), "t.csv:9001");
  CHECK_FALSE(std::filesystem::exists(dir / "fresh.csv"));
}

TEST_CASE("cli: predict --all-solutions streams every head's answer with its file row, one chosen a row",
          "[cli][predict]") {
  CliDir dir;
  // omx4's shipped network has branch heads; 5,000 targets span two chunks of 4096
  REQUIRE(dir.run("sample --arm omx4 --n 5000 --seed 3 --task --out t.csv").code == 0);
  const Run r = dir.run("predict --model '" NEUROKIN_SOURCE_DIR "/models/omx4/ik.json' --in t.csv --out all.csv "
                        "--all-solutions");
  REQUIRE(r.code == 0);
  const Csv all = parse_csv(slurp(dir / "all.csv"));
  REQUIRE(all.rows.size() % 5000 == 0);
  const std::size_t heads = all.rows.size() / 5000;
  REQUIRE(heads >= 2);
  std::vector<int> chosen(5000, 0);
  for (std::size_t i = 0; i < all.rows.size(); ++i) {
    CHECK(all.num(i, "row") == static_cast<double>(i / heads));  // the file's row, across chunks
    CHECK(all.num(i, "head") == static_cast<double>(i % heads));
    chosen[i / heads] += static_cast<int>(all.num(i, "chosen"));
  }
  CHECK(std::count(chosen.begin(), chosen.end(), 1) == 5000);
  // the chosen line of each row is what plain predict answers
  REQUIRE(dir.run("predict --model '" NEUROKIN_SOURCE_DIR "/models/omx4/ik.json' --in t.csv --out one.csv").code == 0);
  const Csv one = parse_csv(slurp(dir / "one.csv"));
  REQUIRE(one.rows.size() == 5000);
  for (std::size_t i = 0; i < all.rows.size(); ++i)
    if (all.num(i, "chosen") == 1) CHECK(all.num(i, "joint1") == one.num(i / heads, "joint1"));
}

TEST_CASE("cli: predict with a feasibility model writes class, name, probabilities",
          "[cli][predict]") {
  CliDir dir;
  Eigen::VectorXf b(4);
  b << 0, 0, 1, 0;
  write_model(
      dense_model(neurokin::ModelKind::kFeasibility, "planar2", neurokin::MatrixRM::Zero(4, 2), b),
      dir / "f.json");
  write_text(dir / "t.csv", "x,y\n1,1\n");
  const Run r = dir.run("predict --model f.json --in t.csv");
  REQUIRE(r.code == 0);
  const Csv c = parse_csv(r.out);
  CHECK(c.header == std::vector<std::string>{"class", "name", "p0", "p1", "p2", "p3"});
  REQUIRE(c.rows.size() == 1);
  CHECK(c.rows[0][0] == "2");
  CHECK(c.rows[0][1] == "adequate");
  const double e = std::exp(1.0);
  CHECK(c.num(0, "p2") == Approx(e / (3 + e)).epsilon(1e-6));
  CHECK(c.num(0, "p0") == Approx(1 / (3 + e)).epsilon(1e-6));

  check_error(dir.run("predict --model f.json --in t.csv --refine 5"),
              "--refine needs an ik or trajectory model");

  // --raw: the logits themselves, before the softmax
  const Run raw = dir.run("predict --model f.json --in t.csv --raw");
  REQUIRE(raw.code == 0);
  const Csv l = parse_csv(raw.out);
  CHECK(l.header == std::vector<std::string>{"out0", "out1", "out2", "out3"});
  REQUIRE(l.rows.size() == 1);
  CHECK(l.num(0, "out0") == 0.0);
  CHECK(l.num(0, "out2") == 1.0);
  check_error(
      dir.run("predict --model f.json --in t.csv --raw --refine 5"),
      "--raw writes the network's outputs before decoding: there are no joints to --refine");
}

TEST_CASE("cli: predict on the committed fixture model", "[cli][predict]") {
  const fs::path fixture = fs::path(NEUROKIN_SOURCE_DIR) / "models/fixtures/tiny_planar2.json";
  if (!fs::exists(fixture)) {
    WARN("no " << fixture << " yet: skipped");
    return;
  }
  CliDir dir;
  write_text(dir / "t.csv", "x,y\n1,1\n-0.5,1.2\n0.3,-1.7\n");
  const Run r = dir.run("predict --model '" + fixture.string() + "' --in t.csv");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const Csv c = parse_csv(r.out);
  REQUIRE(c.rows.size() == 3);
  for (const auto& row : c.rows)
    for (const auto& cell : row) CHECK(std::isfinite(std::stod(cell)));
}

TEST_CASE("cli: ik --model starts from the prediction and checks the arm", "[cli][ik]") {
  CliDir dir;
  write_model(identity_planar2(), dir / "m.json");
  write_text(dir / "t.csv", "x,y\n1.5,0.3\n0.2,-1.1\n");
  Run r = dir.run("ik --model m.json --in t.csv --json");
  REQUIRE(r.code == 0);
  CHECK(nlohmann::json::parse(r.out).at("converged") == 2);
  r = dir.run("ik --arm planar2 --model m.json --in t.csv --out q.csv");
  CHECK(r.code == 0);
  write_text(dir / "p.csv", "x,y,z\n0.5,0,0.5\n");
  check_error(dir.run("ik --arm puma3 --model m.json --in p.csv --out q2.csv"),
              "the model is for arm 'planar2'");
  CHECK_FALSE(fs::exists(dir / "q2.csv"));
}

TEST_CASE("cli: info describes arms and models", "[cli][info]") {
  CliDir dir;
  Run r = dir.run("info kr6");
  REQUIRE(r.code == 0);
  for (const char* s : {"kr6", "pose (x, y, z, qx, qy, qz, qw)", "a1", "-170.0", "350.0", "urdf",
                        "-z", "(0.98, 0, 0.435)", "rpy (0, 90, 0) deg"}) {
    INFO(s);
    CHECK(r.out.find(s) != std::string::npos);
  }
  r = dir.run("info puma3");
  REQUIRE(r.code == 0);
  CHECK(r.out.find("dh") != std::string::npos);
  CHECK(r.out.find("puma_position") != std::string::npos);
  // an arm file by path
  r = dir.run("info '" NEUROKIN_SOURCE_DIR "/models/arms/omx4.json'");
  REQUIRE(r.code == 0);
  CHECK(r.out.find("position_pitch") != std::string::npos);

  write_model(identity_planar2(), dir / "m.json");
  r = dir.run("info m.json");
  REQUIRE(r.code == 0);
  for (const char* s : {"kind         ik", "planar2", "raw", "angles", "dense", "2 -> 2",
                        "parameters   6", "{seed}", "{fk_mean_mm}", "fk_mean_mm", "12.5"}) {
    INFO(s);
    CHECK(r.out.find(s) != std::string::npos);
  }
  write_text(dir / "x.json", "{\"format\": \"something\"}");
  check_error(dir.run("info x.json"), "format");
  write_text(dir / "y.json", "{not json");
  check_error(dir.run("info y.json"), "y.json: not valid JSON");
}

TEST_CASE("cli: sample gives the core's seeded joints, and --task their targets", "[cli][sample]") {
  CliDir dir;
  const neurokin::Arm arm = neurokin::load_arm("omx4");
  const Run r = dir.run("sample --arm omx4 --n 50 --seed 7");
  REQUIRE(r.code == 0);
  const Csv q = parse_csv(r.out);
  CHECK(q.header == joint_names(arm));
  REQUIRE(q.rows.size() == 50);
  neurokin::Rng rng(7);
  for (std::size_t i = 0; i < q.rows.size(); ++i) {
    const neurokin::JointVec expected = neurokin::sample_joints(arm, rng);
    for (int k = 0; k < arm.dof(); ++k) CHECK(q.num(i, arm.joints[k].name) == expected[k]);
  }
  // --task: each row is where those joints put the tool, so ik converges on every one
  const Run t = dir.run("sample --arm omx4 --n 50 --seed 7 --task --out t.csv");
  REQUIRE(t.code == 0);
  const Csv targets = parse_csv(slurp(dir / "t.csv"));
  CHECK(targets.header == std::vector<std::string>{"x", "y", "z", "pitch"});
  REQUIRE(targets.rows.size() == 50);
  const Run ik = dir.run("ik --arm omx4 --in t.csv --json --time-ms 1000");
  CHECK(nlohmann::json::parse(ik.out)["converged"] == 50);
  check_error(dir.run("sample --arm nope"), "arm 'nope': not found");
}

TEST_CASE("cli: calibrate reproduces the stored thresholds and --write stores new ones",
          "[cli][calibrate]") {
  CliDir dir;
  const Run r = dir.run("calibrate --arm planar2");
  REQUIRE(r.code == 0);
  const neurokin::Arm arm = neurokin::load_arm("planar2");
  char p20[64];
  std::snprintf(p20, sizeof p20, "p20 %.17g", arm.conditioning.p20);
  // the printed p20 appears twice: computed now, and stored in the file
  const std::size_t first = r.out.find(p20);
  REQUIRE(first != std::string::npos);
  CHECK(r.out.find(p20, first + 1) != std::string::npos);

  fs::copy_file(std::string(NEUROKIN_SOURCE_DIR) + "/models/arms/planar2.json", dir / "mine.json");
  const Run w = dir.run("calibrate --arm mine.json --samples 2000 --seed 3 --write");
  REQUIRE(w.code == 0);
  const neurokin::Arm mine = neurokin::load_arm((dir / "mine.json").string());
  const neurokin::ConditioningThresholds t = neurokin::compute_thresholds(arm, 2000, 3);
  CHECK(mine.conditioning.p20 == t.p20);
  CHECK(mine.conditioning.p80 == t.p80);
  CHECK(mine.conditioning.samples == 2000);
  // an option out of range is a usage error (exit 2) naming the option
  const Run bad = dir.run("calibrate --arm mine.json --samples 3");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--samples: Value 3 not in range") != std::string::npos);
}

TEST_CASE("cli: train a tiny model, then eval and export it", "[cli][train]") {
  CliDir dir;
  write_text(dir / "tiny.json", R"({"arm": "planar2",
    "data": {"n": 2000, "seed": 3, "branch_preference": ["elbow_up"]},
    "network": {"hidden": [16, 16], "encoding": "polar", "decoding": "sincos"},
    "loss": {"sincos": 1, "fk_position": 1}, "epochs": 3, "batch": 64, "threads": 1})");
  const Run t = dir.run("train --config tiny.json --out out/tiny --quiet --set schedule.lr=0.003");
  INFO(t.err);
  REQUIRE(t.code == 0);
  for (const char* ext : {".json", ".onnx", ".report.json", ".log.csv", ".ckpt"})
    CHECK(fs::exists(dir / (std::string("out/tiny") + ext)));
  const auto report = nlohmann::json::parse(slurp(dir / "out/tiny.report.json"));
  CHECK(report["config"]["schedule"]["lr"] == 0.003);
  CHECK(report["metrics"]["test"]["n"] == 200);
  const neurokin::Model m = neurokin::load_model((dir / "out/tiny.json").string());
  CHECK(m.metadata["curves"]["epoch"].size() == 3);

  // the report: fresh targets (as many as the training data, 2000), a position error histogram
  // whose counts add up to them, a 24 x 24 heatmap of the x-y plane, and the plots beside the model
  const auto& rep = m.metadata["report"];
  CHECK(rep["n"] == 2000);
  CHECK(rep["seed"] == 20261121);
  REQUIRE(rep["histograms"].size() == 1);  // planar: no orientation
  const auto& h = rep["histograms"][0];
  CHECK(h["name"] == "position_error_mm");
  CHECK(h["edges"].size() == h["series"][0]["counts"].size() + 1);
  double total = 0;
  for (const auto& c : h["series"][0]["counts"]) total += c.get<double>();
  CHECK(total == 2000);
  CHECK(rep["heatmap"]["values"].size() == 24 * 24);
  CHECK(rep["heatmap"]["x_label"] == "x (m)");
  CHECK(rep.dump().size() < 8000);
  for (const char* svg : {".curves.svg", ".errors.svg", ".heatmap.svg"}) {
    const std::string text = slurp(dir / (std::string("out/tiny") + svg));
    CHECK(text.find("<svg") != std::string::npos);
    CHECK(text.find("</svg>") != std::string::npos);
  }
  CHECK(slurp(dir / "out/tiny.curves.svg").find(">FK position</text>") != std::string::npos);

  // neurokin report: the same block for the model as it is, weights untouched, written in place
  nlohmann::json before = nlohmann::json::parse(slurp(dir / "out/tiny.json"));
  const std::string onnx_before = slurp(dir / "out/tiny.onnx");
  before["metadata"].erase("report");
  write_text(dir / "copy.json", before.dump());
  const Run rr = dir.run("report --model copy.json --threads 1");
  INFO(rr.err);
  REQUIRE(rr.code == 0);
  nlohmann::json after = nlohmann::json::parse(slurp(dir / "copy.json"));
  CHECK(after["metadata"]["report"] == rep);  // the trainer's block, recomputed
  CHECK(after["layers"] == before["layers"]);
  after["metadata"].erase("report");
  CHECK(after == before);
  CHECK(slurp(dir / "out/tiny.onnx") == onnx_before);
  for (const char* svg : {"copy.curves.svg", "copy.errors.svg", "copy.heatmap.svg"})
    CHECK(fs::exists(dir / svg));
  // without gnuplot: the model is still written, one line says the plots were skipped and how to
  // get them
  fs::remove(dir / "copy.errors.svg");
  ::setenv("NEUROKIN_GNUPLOT", "/nonexistent/gnuplot", 1);
  const Run ng = dir.run("report --model copy.json --threads 1");
  ::unsetenv("NEUROKIN_GNUPLOT");
  REQUIRE(ng.code == 0);
  CHECK_FALSE(fs::exists(dir / "copy.errors.svg"));
  CHECK(ng.out.find("plots skipped: gnuplot not found (install it: apt-get install gnuplot-nox") !=
        std::string::npos);
  CHECK(nlohmann::json::parse(slurp(dir / "copy.json"))["metadata"]["report"] == rep);
  check_error(dir.run("report --model nope.json"), "nope.json");

  const Run e = dir.run("eval --model out/tiny.json --n 300 --refine 10 --json");
  REQUIRE(e.code == 0);
  const auto ev = nlohmann::json::parse(e.out);
  CHECK(ev["n"] == 300);
  CHECK(ev["network"]["position_mean_mm"].get<double>() > 0);
  CHECK(ev["refined"]["success_rate"].get<double>() > 0.9);
  CHECK(ev["refined"]["mean_iterations"].get<double>() <
        ev["dls_from_mid"]["mean_iterations"].get<double>());
  CHECK(ev["us_per_prediction"].contains("batch_4096"));

  // a bad config field is named, and nothing is written
  write_text(dir / "bad.json", R"({"arm": "planar2", "network": {"hiden": [8]}})");
  check_error(dir.run("train --config bad.json --out out/bad --quiet"),
              "config.network.hiden: unknown field");
  CHECK_FALSE(fs::exists(dir / "out/bad.json"));
  check_error(dir.run("eval --model nope.json"), "nope.json");
}

TEST_CASE("cli: train a tiny feasibility classifier, then classify and eval with it",
          "[cli][feasibility]") {
  CliDir dir;
  write_text(dir / "f.json", R"({"arm": "planar2", "kind": "feasibility",
    "data": {"reachable": 1500, "unreachable": 600, "seed": 4},
    "network": {"hidden": [16, 16], "encoding": "polar"},
    "schedule": {"kind": "plateau", "lr": 0.01}, "epochs": 3, "batch": 64, "threads": 1})");
  const Run t = dir.run("train --config f.json --out out/f --quiet");
  INFO(t.err);
  REQUIRE(t.code == 0);
  CHECK(t.out.find("test accuracy") != std::string::npos);
  CHECK(t.err.find("labels agree") != std::string::npos);
  for (const char* ext : {".json", ".onnx", ".report.json", ".log.csv"})
    CHECK(fs::exists(dir / (std::string("out/f") + ext)));
  const auto report = nlohmann::json::parse(slurp(dir / "out/f.report.json"));
  CHECK(report["metrics"]["test"]["n"] == 210);
  // its report: the confusion matrix over fresh poses (as many as trained on), a probability
  // histogram per true class, an accuracy heatmap
  const auto rep = neurokin::load_model((dir / "out/f.json").string()).metadata["report"];
  CHECK(rep["n"] == 2100);
  REQUIRE(rep["confusion"].size() == 4);
  double poses = 0;
  for (const auto& row : rep["confusion"])
    for (const auto& c : row) poses += c.get<double>();
  CHECK(poses == 2100);
  CHECK(rep["classes"][3] == "high_manipulability");
  CHECK(rep["histograms"][0]["series"].size() == 4);
  CHECK(rep["histograms"][0]["edges"].size() == 21);
  CHECK(rep["heatmap"]["value"] == "accuracy");
  CHECK(
      slurp(dir / "out/f.errors.svg").find(">confusion matrix (share of each true class)</text>") !=
      std::string::npos);
  CHECK(report["data"]["label_agreement"].get<double>() > 0.5);

  // classify: class, name, probabilities summing to 1; far outside the reach circle is class 0
  write_text(dir / "poses.csv", "x,y\n9,9\n1,1\n-9,0\n");
  const Run c = dir.run("classify --model out/f.json --in poses.csv --out classes.csv");
  INFO(c.err);
  REQUIRE(c.code == 0);
  const Csv out = parse_csv(slurp(dir / "classes.csv"));
  REQUIRE(out.rows.size() == 3);
  CHECK(out.header == std::vector<std::string>{"class", "name", "p0", "p1", "p2", "p3"});
  for (std::size_t r = 0; r < 3; ++r)
    CHECK(out.num(r, "p0") + out.num(r, "p1") + out.num(r, "p2") + out.num(r, "p3") ==
          Approx(1).epsilon(1e-5));
  CHECK(out.rows[0][1] == "unreachable");
  CHECK(out.rows[2][0] == "0");

  // eval: a fresh held-out set, accuracy, confusion and per-class figures
  const Run e = dir.run("eval --model out/f.json --n 700 --json");
  INFO(e.err);
  REQUIRE(e.code == 0);
  const auto ev = nlohmann::json::parse(e.out);
  CHECK(ev["n"] == 700);
  CHECK(ev["network"]["accuracy"].get<double>() > 0.4);
  CHECK(ev["network"]["confusion"].size() == 4);
  CHECK(ev["network"]["classes"][0]["name"] == "unreachable");
  // binary errors by where the poses came from (planar2 reaches its whole disc: every
  // unreachable pose is outside it), and the seed's per-sample labels for comparison
  const auto& by = ev["network"]["binary_errors_by_source"];
  CHECK(by["reachable"]["rows"] == 500);
  CHECK(by["unreachable_inside"]["rows"] == 0);
  CHECK(by["unreachable_outside"]["rows"] == 200);
  CHECK(ev["network"]["sample_label_accuracy"].get<double>() > 0.2);
  CHECK(ev["kd_radius"] == 0.02);
  CHECK(ev["network"]["unreachable_by_distance"][0]["rows"] == 0);  // none closer than 0.01
  const Run et = dir.run("eval --model out/f.json --n 300");
  REQUIRE(et.code == 0);
  CHECK(et.out.find("binary reachable/unreachable accuracy") != std::string::npos);
  CHECK(et.out.find("per-sample labels") != std::string::npos);
  // without the margin, outside poses start right at the reach circle
  const Run e0 = dir.run("eval --model out/f.json --n 700 --kd-radius 0 --json");
  REQUIRE(e0.code == 0);
  const auto ev0 = nlohmann::json::parse(e0.out);
  CHECK(ev0["kd_radius"] == 0);
  CHECK(ev0["network"]["unreachable_by_distance"][0]["rows"].get<int>() > 0);
  check_error(dir.run("eval --model out/f.json --n 300 --refine 3"), "--refine needs an ik model");

  // bad input names the row and column, and writes nothing
  write_text(dir / "bad.csv", "x,y\n1,1\n1,oops\n");
  const Run b = dir.run("classify --model out/f.json --in bad.csv --out bad_out.csv");
  check_error(b, "bad.csv:3");
  CHECK_FALSE(fs::exists(dir / "bad_out.csv"));
  write_text(dir / "short.csv", "x\n1\n");
  check_error(dir.run("classify --model out/f.json --in short.csv --out s.csv"), "short.csv");
  // an ik model is refused by classify
  check_error(dir.run("classify --model " NEUROKIN_SOURCE_DIR
                      "/models/fixtures/tiny_planar2.json --in poses.csv"),
              "classify needs a feasibility model");
}
