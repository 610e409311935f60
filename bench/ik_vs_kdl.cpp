// neurokin's IK side by side with Orocos KDL's, in one process, on the protocol of the TRAC-IK
// paper (Beeson & Ames, "TRAC-IK: An Open-Source Library for Improved Solving of Generic Inverse
// Kinematics", Humanoids 2015): N random reachable kr6 poses (fk of uniform random joints within
// limits, fixed seed), tolerance 1e-5, a wall-clock budget per pose, random restarts until the
// budget is used. Success = a configuration within the joint limits whose pose is within 1e-5
// of the target, found inside the budget.
//
//   build/native/bin/ik_vs_kdl [--n 10000] [--budget-ms 5] [--seed 1] [--markdown FILE]
//
// The referee is independent of every solver: the hand-built KDL chain of tests/support
// (PRODUCT.md's numbers, not the arm file) computes the target poses and checks every answer
// with KDL's own test, Equal(diff(X, X_target), Twist::Zero(), 1e-5): each of the 6 twist
// components (m, rad) within 1e-5.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <kdl/chainfksolverpos_recursive.hpp>
#include <kdl/chainiksolverpos_lma.hpp>
#include <kdl/chainiksolverpos_nr_jl.hpp>
#include <kdl/chainiksolvervel_pinv.hpp>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "io/atomic_file.h"
#include "neurokin/arm.h"
#include "neurokin/ik.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "support/kdl_chain.h"

namespace {

using Clock = std::chrono::steady_clock;
using neurokin::reference::to_isometry;
using neurokin::reference::to_kdl;

constexpr double kTolerance = 1e-5;  // the protocol's tolerance (m and rad)
constexpr double kTwoPi = 6.283185307179586476925;
constexpr int kNrJlIterations = 100;  // KDL's default maxiter, then a random restart
constexpr int kLmaIterations = 100;   // per LMA attempt: keeps one attempt well inside the budget
constexpr const char* kArm = "kr6";
constexpr const char* kBeginMarker = "<!-- ik_vs_kdl:begin -->";
constexpr const char* kEndMarker = "<!-- ik_vs_kdl:end -->";

struct Options {
  int n = 10000;
  double budget_ms = 5.0;
  std::uint64_t seed = 1;
  std::string markdown;  // file to update; empty: print only
  std::string command_line;
};

const char* const kUsage =
    "usage: ik_vs_kdl [--n N] [--budget-ms MS] [--seed S] [--markdown FILE]\n"
    "  --n          number of random reachable kr6 poses (default 10000)\n"
    "  --budget-ms  wall-clock budget per pose and solver, ms (default 5)\n"
    "  --seed       seed of the poses and of every random start (default 1)\n"
    "  --markdown   write the results between the ik_vs_kdl markers of FILE (atomically)\n";

// throws std::invalid_argument naming the flag, the expected and the actual value ("" for help)
Options parse_options(int argc, char** argv) {
  Options opt;
  for (int i = 0; i < argc; ++i) opt.command_line += (i ? " " : "") + std::string(argv[i]);
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") throw std::invalid_argument("");
    const char* expected = flag == "--n"           ? "a positive integer"
                           : flag == "--budget-ms" ? "a positive number of milliseconds"
                           : flag == "--seed"      ? "a non-negative integer"
                           : flag == "--markdown"  ? "a file path"
                                                   : nullptr;
    if (!expected) {
      throw std::invalid_argument("unknown flag '" + flag +
                                  "' (expected --n, --budget-ms, --seed, --markdown, --help)");
    }
    if (i + 1 >= argc)
      throw std::invalid_argument(flag + ": expected " + expected + ", got nothing");
    const std::string value = argv[++i];
    bool ok = !value.empty();
    // std::sto* accept trailing junk and throw on garbage: check that the whole value was used
    try {
      std::size_t used = 0;
      if (flag == "--n") {
        opt.n = std::stoi(value, &used);
        ok = ok && opt.n > 0;
      } else if (flag == "--budget-ms") {
        opt.budget_ms = std::stod(value, &used);
        ok = ok && opt.budget_ms > 0 && std::isfinite(opt.budget_ms);
      } else if (flag == "--seed") {
        opt.seed = std::stoull(value, &used);
        ok = ok && value[0] != '-';
      } else {
        opt.markdown = value;
        used = value.size();
      }
      ok = ok && used == value.size();
    } catch (const std::logic_error&) {
      ok = false;
    }
    if (!ok) throw std::invalid_argument(flag + ": expected " + expected + ", got '" + value + "'");
  }
  return opt;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// moves each angle by whole turns into [lower, upper] where one fits: the same pose for a
// revolute joint; false when some joint has no such turn
bool wrap_into_limits(KDL::JntArray& q, const KDL::JntArray& lower, const KDL::JntArray& upper) {
  for (unsigned j = 0; j < q.rows(); ++j) {
    if (q(j) >= lower(j) && q(j) <= upper(j)) continue;
    const double wrapped = q(j) + kTwoPi * std::ceil((lower(j) - q(j)) / kTwoPi);
    if (wrapped > upper(j)) return false;
    q(j) = wrapped;
  }
  return true;
}

// what one solver returned for one pose
struct Answer {
  Eigen::VectorXd q;      // the final configuration (best effort when not converged)
  bool reported = false;  // the solver's own stop test passed (and the answer is in limits)
  double ms = 0;          // wall clock from the call to the answer
};

struct Solver {
  std::string name;
  std::string stop_test;  // the solver's own convergence test, in words
  std::function<Answer(const KDL::Frame& X_target, std::uint64_t pose_seed)> solve;
};

struct Tally {
  std::vector<double> ms;  // wall clock, every pose
  double cpu_ms = 0;       // this thread's CPU time, summed: wall minus what the scheduler took
  int success = 0, reported = 0;
  double success_ms = 0;
};

double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

// the per-pose seed of the random starts: the same first start for every solver
std::uint64_t pose_seed(std::uint64_t seed, int pose) {
  return seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(pose) + 1;
}

class Benchmark {
 public:
  explicit Benchmark(const Options& opt)
      : opt_(opt),
        arm_(neurokin::load_arm(kArm)),
        ref_(neurokin::reference::kdl_arm(kArm)),
        fk_(ref_.chain),
        vik_(ref_.chain),
        nr_jl_(ref_.chain, ref_.lower, ref_.upper, fk_, vik_, 1, kTolerance),
        lma_(ref_.chain, Eigen::Matrix<double, 6, 1>::Ones(), kTolerance, kLmaIterations) {
    solvers_ = {
        {"neurokin solve_ik (tol_rot 1e-5)",
         "norm(dp) <= 1e-5 m, norm(dtheta) <= 1e-5 rad; joints clamped to limits",
         [this](const KDL::Frame& X, std::uint64_t s) { return solve_neurokin(X, s, 1e-5); }},
        {"neurokin solve_ik (tol_rot 1e-4, CLI default)",
         "norm(dp) <= 1e-5 m, norm(dtheta) <= 1e-4 rad; joints clamped to limits",
         [this](const KDL::Frame& X, std::uint64_t s) { return solve_neurokin(X, s, 1e-4); }},
        {"KDL ChainIkSolverPos_NR_JL",
         "each twist component within 1e-5 (KDL Equal); joints clamped; 100 iterations a start",
         [this](const KDL::Frame& X, std::uint64_t s) { return solve_nr_jl(X, s, true); }},
        {"KDL NR_JL as TRAC-IK's ik_tests (mid-limits start, no restarts)",
         "each twist component within 1e-5 (KDL Equal); joints clamped; iterates to the budget",
         [this](const KDL::Frame& X, std::uint64_t s) { return solve_nr_jl(X, s, false); }},
        {"KDL ChainIkSolverPos_LMA",
         "norm([dp; dtheta]) < 1e-5 (L = 1); no limits: answer moved by whole turns into them",
         [this](const KDL::Frame& X, std::uint64_t s) { return solve_lma(X, s); }},
    };
    tallies_.resize(solvers_.size());
  }

  // every pose through every solver in turn, so machine noise hits all solvers alike
  void run() {
    neurokin::Rng pose_rng(opt_.seed);
    // a terminal gets a line redrawn every 1%, a log file a line every 10%
    const bool tty = isatty(STDERR_FILENO);
    const int step = std::max(1, opt_.n / (tty ? 100 : 10));
    for (int i = 0; i < opt_.n; ++i) {
      const Eigen::VectorXd q_true = neurokin::sample_joints(arm_, pose_rng);
      KDL::Frame X_target;
      fk_.JntToCart(to_kdl(q_true), X_target);
      for (std::size_t s = 0; s < solvers_.size(); ++s) {
        const double cpu0 = thread_cpu_ms();
        const Answer a = solvers_[s].solve(X_target, pose_seed(opt_.seed, i));
        tallies_[s].cpu_ms += thread_cpu_ms() - cpu0;
        record(tallies_[s], a, X_target);
      }
      if ((i + 1) % step == 0 || i + 1 == opt_.n) {
        std::fprintf(stderr, tty ? "\rik_vs_kdl: %d / %d poses" : "ik_vs_kdl: %d / %d poses\n",
                     i + 1, opt_.n);
      }
    }
    if (tty) std::fprintf(stderr, "\n");
  }

  // solver, stop test, success, reported, mean ms, mean CPU ms, mean ms of successes, p50, p99
  std::vector<std::vector<std::string>> rows() const {
    std::vector<std::vector<std::string>> out;
    for (std::size_t s = 0; s < solvers_.size(); ++s) {
      const Tally& t = tallies_[s];
      std::vector<double> ms = t.ms;
      std::sort(ms.begin(), ms.end());
      double sum = 0;
      for (double v : ms) sum += v;
      const auto pct = [](int k, int n) { return fixed(100.0 * k / n, 2) + "%"; };
      out.push_back({solvers_[s].name, solvers_[s].stop_test, pct(t.success, opt_.n),
                     pct(t.reported, opt_.n), fixed(sum / opt_.n, 3), fixed(t.cpu_ms / opt_.n, 3),
                     t.success ? fixed(t.success_ms / t.success, 3) : "-",
                     fixed(percentile(ms, 0.50), 3), fixed(percentile(ms, 0.99), 3)});
    }
    return out;
  }

 private:
  Answer solve_neurokin(const KDL::Frame& X_target, std::uint64_t seed, double tol_rot) {
    neurokin::IkOptions opt;
    opt.tol_pos = kTolerance;
    opt.tol_rot = tol_rot;
    opt.time_budget_ms = opt_.budget_ms;
    opt.seed = seed + 1;  // its internal restarts; the first start is the shared one
    const neurokin::TaskVec x = neurokin::task_vector(arm_, to_isometry(X_target));
    neurokin::Rng rng(seed);
    const Eigen::VectorXd q0 = neurokin::sample_joints(arm_, rng);
    const Clock::time_point t0 = Clock::now();
    const neurokin::IkResult r = neurokin::solve_ik(arm_, x, opt, q0);
    const double ms = ms_since(t0);
    return {r.q, r.status == neurokin::IkStatus::kConverged, ms};
  }

  // one NR iteration per call (maxiter 1, continuing from its answer: the same iterates as one
  // long call) so the clock is read every iteration, as TRAC-IK's own KDL baseline does. With
  // restarts: random starts, 100 iterations each; without: TRAC-IK's ik_tests.cpp baseline, one
  // descent from the middle of the limits for the whole budget
  Answer solve_nr_jl(const KDL::Frame& X_target, std::uint64_t seed, bool restarts) {
    neurokin::Rng rng(seed);
    const Clock::time_point t0 = Clock::now();
    KDL::JntArray q(ref_.chain.getNrOfJoints()), q_next(q.rows());
    const int iterations = restarts ? kNrJlIterations : std::numeric_limits<int>::max();
    while (true) {
      q = to_kdl(restarts ? Eigen::VectorXd(neurokin::sample_joints(arm_, rng)) : arm_.mid());
      for (int it = 0; it < iterations; ++it) {
        const int rc = nr_jl_.CartToJnt(q, X_target, q_next);
        q = q_next;
        if (rc >= 0) return {q.data, true, ms_since(t0)};
        const double ms = ms_since(t0);
        if (ms >= opt_.budget_ms) return {q.data, false, ms};
        if (rc != KDL::ChainIkSolverPos_NR_JL::E_MAX_ITERATIONS_EXCEEDED) break;
      }
    }
  }

  Answer solve_lma(const KDL::Frame& X_target, std::uint64_t seed) {
    neurokin::Rng rng(seed);
    const Clock::time_point t0 = Clock::now();
    KDL::JntArray q_out(ref_.chain.getNrOfJoints());
    while (true) {
      const int rc = lma_.CartToJnt(to_kdl(neurokin::sample_joints(arm_, rng)), X_target, q_out);
      if (rc >= 0 && wrap_into_limits(q_out, ref_.lower, ref_.upper)) {
        return {q_out.data, true, ms_since(t0)};
      }
      const double ms = ms_since(t0);
      if (ms >= opt_.budget_ms) return {q_out.data, false, ms};
    }
  }

  void record(Tally& t, const Answer& a, const KDL::Frame& X_target) {
    t.ms.push_back(a.ms);
    const bool in_time = a.ms <= opt_.budget_ms;
    if (a.reported && in_time) ++t.reported;
    if (!a.reported || !in_time || !neurokin::within_limits(arm_, a.q, 1e-9)) return;
    KDL::Frame X;
    fk_.JntToCart(to_kdl(a.q), X);
    if (!KDL::Equal(KDL::diff(X, X_target), KDL::Twist::Zero(), kTolerance)) return;
    ++t.success;
    t.success_ms += a.ms;
  }

  static std::string fixed(double v, int digits) {
    std::ostringstream out;
    out.setf(std::ios::fixed);
    out.precision(digits);
    out << v;
    return out.str();
  }

  // nearest-rank percentile of sorted values
  static double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(p * sorted.size()));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
  }

  Options opt_;
  neurokin::Arm arm_;
  neurokin::reference::KdlArm ref_;
  KDL::ChainFkSolverPos_recursive fk_;
  KDL::ChainIkSolverVel_pinv vik_;
  KDL::ChainIkSolverPos_NR_JL nr_jl_;
  KDL::ChainIkSolverPos_LMA lma_;
  std::vector<Solver> solvers_;
  std::vector<Tally> tallies_;
};

// the columns of both tables, in the order rows() fills them
const std::vector<std::string> kHeader = {"solver",
                                          "stop test",
                                          "success",
                                          "reported converged",
                                          "mean ms (all)",
                                          "mean CPU ms (all)",
                                          "mean ms (successes)",
                                          "p50 ms",
                                          "p99 ms"};

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(kHeader.size());
  // the stop test is long: the table on the terminal leaves it out, the markdown keeps it
  const auto shown = [](std::size_t c) { return c != 1; };
  for (std::size_t c = 0; c < kHeader.size(); ++c) {
    width[c] = kHeader[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], r[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (!shown(c)) continue;
      std::cout << (c ? "  " : "") << cells[c] << std::string(width[c] - cells[c].size(), ' ');
    }
    std::cout << "\n";
  };
  line(kHeader);
  for (const auto& r : rows) line(r);
}

std::string markdown_table(const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream out;
  const auto line = [&](const std::vector<std::string>& cells) {
    out << "|";
    for (const auto& c : cells) out << " " << c << " |";
    out << "\n";
  };
  line(kHeader);
  out << "|---|---|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto& r : rows) line(r);
  return out.str();
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
  }
  return "unknown CPU";
}

// the 1-minute load average: these machines are shared, and a 5 ms wall-clock budget feels it
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  return in >> one ? one : "unknown";
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::string markdown_section(const Options& opt, const std::vector<std::vector<std::string>>& rows,
                             const std::string& load_before) {
  std::ostringstream out;
  out << kBeginMarker << "\n"
      << "<!-- generated by ik_vs_kdl --markdown: edits between the markers are overwritten -->\n\n"
      << "- date: " << utc_now() << "\n"
      << "- machine: " << std::thread::hardware_concurrency() << " x " << cpu_model()
      << "; load average " << load_before << " before, " << load_average() << " after\n"
      << "- command: `" << opt.command_line << "`\n"
      << "- poses: " << opt.n << " kr6 poses, fk of uniform random joints within limits, seed "
      << opt.seed << "; tolerance 1e-5; budget " << opt.budget_ms << " ms per pose and solver\n\n"
      << markdown_table(rows) << "\n"
      << kEndMarker << "\n";
  return out.str();
}

// replaces the marked section of `path` (or appends it, or creates the file); the write is
// atomic (temporary file, then rename), so a reader never sees half a file
void write_markdown(const std::string& path, const std::string& section) {
  std::string text;
  if (std::ifstream in{path}) {
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  const std::size_t begin = text.find(kBeginMarker);
  const std::size_t end = text.find(kEndMarker);
  if (begin != std::string::npos && end != std::string::npos && end > begin) {
    std::size_t after = end + std::string(kEndMarker).size();
    if (after < text.size() && text[after] == '\n') ++after;
    text.replace(begin, after - begin, section);
  } else {
    if (text.empty()) text = "# Benchmarks\n";
    text += "\n## IK side by side with KDL (generated)\n\n" + section;
  }
  neurokin::io::write_file_atomic(path, text);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  try {
    opt = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    // --help is an answer (stdout, exit 0); a bad flag is an error (stderr, exit 2)
    if (!*e.what()) {
      std::cout << kUsage;
      return 0;
    }
    std::cerr << "ik_vs_kdl: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    const std::string load_before = load_average();
    Benchmark bench(opt);
    bench.run();
    const auto rows = bench.rows();
    std::cout << opt.n << " kr6 poses, seed " << opt.seed << ", tolerance 1e-5, budget "
              << opt.budget_ms << " ms\n";
    print_table(rows);
    if (!opt.markdown.empty()) {
      write_markdown(opt.markdown, markdown_section(opt, rows, load_before));
      std::cout << "wrote " << opt.markdown << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "ik_vs_kdl: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
