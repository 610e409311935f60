#include "data/dataset.h"
#include "data/config_fields.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

#include "io/atomic_file.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/ik_analytic.h"
#include "neurokin/json_util.h"
#include "neurokin/random.h"

namespace neurokin::data {

namespace ju = json_util;
using nlohmann::json;

namespace {

// independent random streams: every sample draws from its own generator, seeded from (seed,
// stream, index), so the data do not depend on the order or the thread that makes them
enum Stream : std::uint64_t { kSampleStream = 1, kLhsStream, kFocusStream, kSplitStream };

// largest joint difference up to whole turns
double turn_distance(const JointVec& a, const JointsRef& b) {
  double d = 0;
  for (int i = 0; i < a.size(); ++i) d = std::max(d, std::abs(wrap_angle(a[i] - b[i])));
  return d;
}

// 64-bit FNV-1a over a text (Fowler, Noll & Vo)
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// the file checksum: FNV-style over 8-byte words, fed the same blocks when writing and reading
class Checksum {
 public:
  void add(const void* data, std::size_t bytes) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (; bytes >= 8; p += 8, bytes -= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      h_ = (h_ ^ w) * 0x100000001b3ULL;
      h_ ^= h_ >> 29;
    }
    for (; bytes > 0; ++p, --bytes) h_ = (h_ ^ *p) * 0x100000001b3ULL;
  }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

std::string hex(std::uint64_t x) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(x));
  return buf;
}

// ---- the config as JSON ------------------------------------------------------------------

FocusCircle focus_from_json(const json& j, const std::string& w) {
  ju::Fields f(j, w);
  std::string kind = "circle";
  f.string("kind", kind);
  if (kind != "circle") throw_expected(f.at("kind"), "\"circle\"", "\"" + kind + "\"");
  FocusCircle c;
  c.centre_W = ju::vector3(f.required("centre"), f.at("centre"));
  f.number("radius", c.radius, 0, INFINITY, true, true);
  if (const json* n = f.get("normal")) {
    const Eigen::Vector3d normal = ju::vector3(*n, f.at("normal"));
    if (normal.norm() < 1e-9) throw_expected(f.at("normal"), "a non-zero 3-vector", ju::describe(*n));
    c.normal_W = normal.normalized();
  }
  f.number("share", c.share, 0, 1, true, true);
  f.number("jitter", c.jitter, 0, INFINITY, false, true);
  return c;
}

}  // namespace

static std::uint64_t mix64(std::uint64_t z) {  // splitmix64's finaliser (Steele et al. 2014)
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Rng stream_rng(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return Rng(mix64(mix64(mix64(seed) + stream * 0x9e3779b97f4a7c15ULL) + index));
}

// uniform integer in [0, n): the modulo bias is below 2^-32 for n < 2^32
static std::uint64_t below(Rng& rng, std::uint64_t n) { return rng.next() % n; }

// a random permutation of 0..n-1 (Fisher & Yates; Knuth's algorithm P)
std::vector<std::uint32_t> permutation(std::int64_t n, Rng rng) {
  std::vector<std::uint32_t> p(static_cast<size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<std::uint32_t>(i);
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[below(rng, i + 1)]);
  return p;
}

Split make_split(std::int64_t n, std::uint64_t seed, double val_share, double test_share) {
  Split split;
  split.order = permutation(n, stream_rng(seed, kSplitStream, 0));
  split.val = std::llround(n * val_share);
  split.test = std::llround(n * test_share);
  split.train = n - split.val - split.test;
  return split;
}


const char* sampling_name(Sampling s) { return s == Sampling::kLhs ? "lhs" : "uniform"; }

void read_sampling_fields(ju::Fields& f, std::int64_t& n, std::uint64_t& seed, Sampling& sampling) {
  int count = static_cast<int>(n);
  f.integer("n", count, 1, 0x7fffffff);
  n = count;
  if (const json* v = f.get("seed")) seed = static_cast<std::uint64_t>(ju::integer(*v, f.at("seed"), 0, 1LL << 53));
  std::string name = sampling_name(sampling);
  f.string("sampling", name);
  if (name != "uniform" && name != "lhs") throw_expected(f.at("sampling"), "\"uniform\" or \"lhs\"", "\"" + name + "\"");
  sampling = name == "lhs" ? Sampling::kLhs : Sampling::kUniform;
}

void read_split_fields(ju::Fields& f, double& val_share, double& test_share) {
  f.number("val_share", val_share, 0, 1, false, true);
  f.number("test_share", test_share, 0, 1, false, true);
}

void check_split_shares(double val_share, double test_share, const std::string& where) {
  if (val_share + test_share >= 1)
    throw_expected(where + ".val_share + test_share", "less than 1 (some data must train)",
                   json(val_share + test_share).dump());
}

DataConfig data_config_from_json(const json& j, const std::string& where) {
  DataConfig c;
  {
    ju::Fields f(j, where);
    read_sampling_fields(f, c.n, c.seed, c.sampling);
    if (const json* v = f.get("branch_preference")) {
      const std::string w = f.at("branch_preference");
      if (!v->is_array()) throw_expected(w, "an array of branch names", ju::describe(*v));
      for (size_t i = 0; i < v->size(); ++i) {
        const std::string name = ju::string((*v)[i], w + "[" + std::to_string(i) + "]");
        if (std::find(c.branch_preference.begin(), c.branch_preference.end(), name) !=
            c.branch_preference.end())
          throw_expected(w + "[" + std::to_string(i) + "]", "a branch not listed before",
                         "\"" + name + "\" again");
        c.branch_preference.push_back(name);
      }
    }
    if (const json* v = f.get("focus")) c.focus = focus_from_json(*v, f.at("focus"));
    read_split_fields(f, c.val_share, c.test_share);
  }
  check_split_shares(c.val_share, c.test_share, where);
  return c;
}

json data_config_to_json(const DataConfig& c) {
  json j{{"n", c.n},
         {"seed", c.seed},
         {"sampling", sampling_name(c.sampling)},
         {"branch_preference", c.branch_preference},
         {"val_share", c.val_share},
         {"test_share", c.test_share}};
  if (c.focus) {
    const FocusCircle& f = *c.focus;
    j["focus"] = {
        {"kind", "circle"},   {"centre", {f.centre_W.x(), f.centre_W.y(), f.centre_W.z()}},
        {"radius", f.radius}, {"normal", {f.normal_W.x(), f.normal_W.y(), f.normal_W.z()}},
        {"share", f.share},   {"jitter", f.jitter}};
  }
  return j;
}

std::uint64_t dataset_hash(const Arm& arm, const DataConfig& c) {
  // the generator's version: raise it when sampling or canonicalisation change, so that caches
  // made by the old code are remade
  constexpr int kGenerator = 1;
  // the arm's kinematics only: a new description or recalibrated thresholds change no sample
  json a = arm_to_json(arm);
  a.erase("description");
  a.erase("conditioning");
  return fnv1a("neurokin-dataset generator " + std::to_string(kGenerator) + "\n" + a.dump() + "\n" +
               data_config_to_json(c).dump());
}

// ---- branch report -----------------------------------------------------------------------

json branch_report_to_json(const BranchReport& r) {
  return json{{"branches", r.branches}, {"samples", r.samples},     {"reachable", r.reachable},
              {"assigned", r.assigned}, {"solutions", r.solutions}, {"reach_sets", r.reach_sets},
              {"moved", r.moved},       {"unmatched", r.unmatched}};
}

namespace {

BranchReport branch_report_from_json(const json& j, const std::string& w) {
  BranchReport r;
  const auto counts = [&](const char* key) {
    std::vector<std::int64_t> v;
    const json& a = ju::field(j, key, w);
    if (!a.is_array()) throw_expected(w + "." + key, "an array", ju::describe(a));
    for (size_t i = 0; i < a.size(); ++i)
      v.push_back(ju::integer(a[i], w + "." + key + "[" + std::to_string(i) + "]", 0,
                              std::numeric_limits<long long>::max()));
    return v;
  };
  const json& b = ju::field(j, "branches", w);
  if (!b.is_array()) throw_expected(w + ".branches", "an array", ju::describe(b));
  for (size_t i = 0; i < b.size(); ++i)
    r.branches.push_back(ju::string(b[i], w + ".branches[" + std::to_string(i) + "]"));
  const long long big = std::numeric_limits<long long>::max();
  r.samples = ju::integer(ju::field(j, "samples", w), w + ".samples", 0, big);
  r.reachable = counts("reachable");
  r.assigned = counts("assigned");
  r.solutions = counts("solutions");
  r.reach_sets = counts("reach_sets");
  r.moved = ju::integer(ju::field(j, "moved", w), w + ".moved", 0, big);
  r.unmatched = ju::integer(ju::field(j, "unmatched", w), w + ".unmatched", 0, big);
  const size_t sets = r.branches.empty() ? 0 : size_t(1) << r.branches.size();
  if (r.branches.size() > 8 || r.reachable.size() != r.branches.size() ||
      r.assigned.size() != r.branches.size() || r.reach_sets.size() != sets)
    throw_expected(w,
                   "at most 8 branches, one reachable and one assigned count per branch and "
                   "2^branches reach sets",
                   std::to_string(r.reachable.size()) + ", " + std::to_string(r.assigned.size()) +
                       " and " + std::to_string(r.reach_sets.size()) + " for " +
                       std::to_string(r.branches.size()) + " branches");
  return r;
}

}  // namespace

std::string format_branch_report(const BranchReport& r) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  if (r.branches.empty()) return "no closed-form solver: no branches\n";
  size_t width = 6;
  for (const auto& b : r.branches) width = std::max(width, b.size());
  s << std::left;
  s.width(width + 2);
  s << "branch"
    << "reaches   assigned\n";
  for (size_t b = 0; b < r.branches.size(); ++b) {
    s.width(width + 2);
    s << r.branches[b];
    s.width(7);
    s << std::right << 100 * r.share(r.reachable[b]) << " %";
    s.width(9);
    s << 100 * r.share(r.assigned[b]) << " %\n" << std::left;
  }
  s << "solutions within limits:";
  for (size_t k = 0; k < r.solutions.size(); ++k)
    if (r.solutions[k]) s << "  " << k << ": " << 100 * r.share(r.solutions[k]) << " %";
  s << "\nsamples " << r.samples << ", moved to another branch " << 100 * r.share(r.moved)
    << " %, unmatched " << r.unmatched << "\ngreedy order (cumulative share):";
  for (const auto& [branch, covered] : greedy_branch_order(r))
    s << "\n  " << branch << "  " << 100 * covered << " %";
  s << "\n";
  return s.str();
}

std::vector<std::pair<std::string, double>> greedy_branch_order(const BranchReport& r) {
  std::vector<std::pair<std::string, double>> order;
  std::uint32_t chosen = 0;
  std::int64_t covered = 0;
  for (size_t step = 0; step < r.branches.size(); ++step) {
    int best = -1;
    std::int64_t best_gain = -1;
    for (size_t b = 0; b < r.branches.size(); ++b) {
      if ((chosen >> b) & 1u) continue;
      // targets b reaches that no chosen branch does
      std::int64_t gain = 0;
      for (size_t m = 0; m < r.reach_sets.size(); ++m)
        if (((m >> b) & 1u) && !(m & chosen)) gain += r.reach_sets[m];
      if (gain > best_gain) best = static_cast<int>(b), best_gain = gain;
    }
    chosen |= 1u << best;
    covered += best_gain;
    order.emplace_back(r.branches[best], r.share(covered));
  }
  return order;
}

// ---- sampling ----------------------------------------------------------------------------

JointSampler::JointSampler(const Arm& arm, Sampling sampling, std::int64_t n, std::uint64_t seed)
    : lower_(arm.lower()),
      span_(arm.upper() - arm.lower()),
      sampling_(sampling),
      n_(n),
      seed_(seed) {
  if (n < 0 || n > 0xffffffffLL)
    throw_expected("JointSampler n", "0 to 2^32 - 1 samples", std::to_string(n));
  // lhs: per joint an independent permutation assigns each sample its own stratum
  if (sampling == Sampling::kLhs)
    for (int j = 0; j < arm.dof(); ++j)
      strata_.push_back(permutation(n, stream_rng(seed, kLhsStream, j)));
}

JointVec JointSampler::operator()(std::int64_t i) const {
  Rng rng = stream_rng(seed_, kSampleStream, static_cast<std::uint64_t>(i));
  JointVec q(lower_.size());
  for (int j = 0; j < q.size(); ++j) {
    const double u = rng.uniform();
    const double x = sampling_ == Sampling::kLhs ? (strata_[j][i] + u) / double(n_) : u;
    q[j] = lower_[j] + span_[j] * x;
  }
  return q;
}

void wrap_to_nearest_zero(const Arm& arm, JointVec& q) {
  for (int i = 0; i < arm.dof(); ++i) {
    const Joint& joint = arm.joints[i];
    if (joint.upper - joint.lower <= 2 * M_PI) continue;  // one representative only
    const double w = wrap_angle(q[i]);
    // w, then w - 2 pi or w + 2 pi, whichever is nearer 0, as long as it fits the limits
    for (double k : {0.0, w > 0 ? -1.0 : 1.0, w > 0 ? 1.0 : -1.0}) {
      const double c = w + 2 * M_PI * k;
      if (c >= joint.lower && c <= joint.upper) {
        q[i] = c;
        break;
      }
    }
  }
}

// ---- canonicalisation --------------------------------------------------------------------

std::vector<int> branch_indices(const Arm& arm, const std::vector<std::string>& names,
                                const std::string& where) {
  const std::vector<std::string> branches = analytic_branch_names(arm);
  if (branches.empty())
    throw Error(where + ": arm '" + arm.name +
                "' has no closed-form IK solver, so its samples cannot be put on one branch" +
                (arm.analytic.empty() ? std::string(" (arm.analytic is empty)")
                                      : " ('" + arm.analytic + "' does not fit its geometry)"));
  std::string valid;
  for (const auto& b : branches) valid += (valid.empty() ? "" : ", ") + b;
  std::vector<int> index(names.size());
  for (size_t k = 0; k < names.size(); ++k) {
    const auto it = std::find(branches.begin(), branches.end(), names[k]);
    const std::string w = where + "[" + std::to_string(k) + "]";
    if (it == branches.end())
      throw_expected(w, "a branch of " + arm.name + " (" + valid + ")", "\"" + names[k] + "\"");
    index[k] = static_cast<int>(it - branches.begin());
    if (std::find(index.begin(), index.begin() + k, index[k]) != index.begin() + k)
      throw_expected(w, "a branch not listed before", "\"" + names[k] + "\" again");
  }
  return index;
}

std::vector<int> positions_in(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  std::vector<int> at(from.size(), -1);
  for (size_t i = 0; i < from.size(); ++i) {
    const auto it = std::find(to.begin(), to.end(), from[i]);
    if (it != to.end()) at[i] = static_cast<int>(it - to.begin());
  }
  return at;
}

Canonicaliser::Canonicaliser(const Arm& arm, const std::vector<std::string>& preference)
    : arm_(arm), branches_(analytic_branch_names(arm)) {
  const std::vector<int> listed = branch_indices(arm, preference, "branch_preference");
  // listed branches first, the rest after them in the solver's order
  rank_.assign(branches_.size(), -1);
  int next = 0;
  for (const int b : listed) rank_[b] = next++;
  for (int& r : rank_)
    if (r < 0) r = next++;
}

int Canonicaliser::branch_index(const char* name) const {
  for (size_t b = 0; b < branches_.size(); ++b)
    if (branches_[b] == name) return static_cast<int>(b);
  return -1;
}

Canonicaliser::Result Canonicaliser::pick(const JointsRef& target, const JointsRef* q) const {
  const AnalyticSolutions s = solve_ik_analytic(arm_, target);
  Result r;
  r.solutions = s.count;
  int best = -1, own = -1;
  double own_distance = 1e-6;  // a solution this close (up to whole turns) is q's own
  for (int k = 0; k < s.count; ++k) {
    const int b = branch_index(s.sol[k].branch);
    eigen_assert(b >= 0);
    r.reachable |= 1u << b;
    if (best < 0 || rank_[b] < rank_[branch_index(s.sol[best].branch)]) best = k;
    if (q) {
      const double d = turn_distance(s.sol[k].q, *q);
      if (d < own_distance) own_distance = d, own = k;
    }
  }
  if (own >= 0) r.own_branch = branch_index(s.sol[own].branch);
  if (best >= 0) {
    r.q = s.sol[best].q;
    r.branch = branch_index(s.sol[best].branch);
  } else if (q) {
    r.q = *q;
  }
  return r;
}

Canonicaliser::Result Canonicaliser::canonicalise(const JointsRef& q) const {
  return pick(task_vector(arm_, fk(arm_, q)), &q);
}

Canonicaliser::Result Canonicaliser::solve(const JointsRef& target) const {
  return pick(target, nullptr);
}

// ---- making a dataset --------------------------------------------------------------------

namespace {

constexpr int kMaxSolutions = 8;  // AnalyticSolutions' capacity
constexpr int kFocusAttempts = 1000;

// per-thread counts for the report; summed at the end (integers: any order gives the same)
struct Counts {
  std::vector<std::int64_t> reachable, assigned, solutions, reach_sets;
  std::int64_t moved = 0, unmatched = 0;
  explicit Counts(size_t branches)
      : reachable(branches),
        assigned(branches),
        solutions(kMaxSolutions + 1),
        reach_sets(branches ? size_t(1) << branches : 0) {}
  void add(const Counts& o) {
    for (size_t b = 0; b < reachable.size(); ++b) {
      reachable[b] += o.reachable[b];
      assigned[b] += o.assigned[b];
    }
    for (size_t k = 0; k < solutions.size(); ++k) solutions[k] += o.solutions[k];
    for (size_t m = 0; m < reach_sets.size(); ++m) reach_sets[m] += o.reach_sets[m];
    moved += o.moved;
    unmatched += o.unmatched;
  }
};

// runs body(begin, end, counts) over [0, n) in chunks on `threads` threads; the first
// exception any thread throws is rethrown here
void parallel_chunks(std::int64_t n, int threads, Counts& total,
                     const std::function<void(std::int64_t, std::int64_t, Counts&)>& body) {
  constexpr std::int64_t kChunk = 4096;
  std::atomic<std::int64_t> next{0};
  std::exception_ptr error;
  std::mutex mutex;
  const auto work = [&] {
    Counts counts(total.reachable.size());
    try {
      for (std::int64_t begin; (begin = next.fetch_add(kChunk)) < n;)
        body(begin, std::min(n, begin + kChunk), counts);
    } catch (...) {
      next = n;  // the others stop at their next chunk
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex);
    total.add(counts);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

// a float within [lo, hi]: rounding may step just outside a limit
float to_float_within(double x, double lo, double hi) {
  float f = static_cast<float>(x);
  if (f > hi) f = std::nextafter(f, -INFINITY);
  if (f < lo) f = std::nextafter(f, INFINITY);
  return f;
}

// writes sample i: the joints as floats, and the target they reach (from the rounded joints,
// so that joints and target agree to the float rounding of the target alone)
void store(const Arm& arm, const JointVec& q, int branch, bool focus, std::int64_t i, Dataset& d) {
  JointVec q_rounded(arm.dof());
  for (int j = 0; j < arm.dof(); ++j) {
    const float f = to_float_within(q[j], arm.joints[j].lower, arm.joints[j].upper);
    d.joints[i * d.dof + j] = f;
    q_rounded[j] = f;
  }
  const TaskVec x = task_vector(arm, fk(arm, q_rounded));
  for (int k = 0; k < d.task_size; ++k) d.targets[i * d.task_size + k] = static_cast<float>(x[k]);
  d.branch[i] = static_cast<std::int8_t>(branch);
  d.focus[i] = focus;
}

// a target near the focus circle: a point on it plus gaussian jitter, the orientation part
// from a random configuration
TaskVec focus_target(const Arm& arm, const FocusCircle& f, Rng& rng) {
  TaskVec x = task_vector(arm, fk(arm, sample_joints(arm, rng)));
  const Eigen::Vector3d e1 = f.normal_W.unitOrthogonal(), e2 = f.normal_W.cross(e1);
  const double t = rng.uniform(0, 2 * M_PI);
  const double g1 = rng.normal(), g2 = rng.normal(), g3 = rng.normal();
  Eigen::Vector3d p = f.centre_W + f.radius * (std::cos(t) * e1 + std::sin(t) * e2) +
                      f.jitter * (g1 * e1 + g2 * e2);
  if (arm.task == TaskKind::kPlanarXY) {
    x << p.x(), p.y();
  } else {
    p += f.jitter * g3 * f.normal_W;
    x.head<3>() = p;
  }
  return x;
}

void validate(const Arm& arm, const DataConfig& c) {
  if (c.n < 1 || c.n > 0x7fffffff)
    throw_expected("make_dataset n", "1 to 2^31 - 1 samples", std::to_string(c.n));
  if (!(c.val_share >= 0 && c.test_share >= 0 && c.val_share + c.test_share < 1))
    throw_expected("make_dataset val_share + test_share", "shares >= 0 summing to less than 1",
                   std::to_string(c.val_share) + " + " + std::to_string(c.test_share));
  if (!c.focus) return;
  const FocusCircle& f = *c.focus;
  if (!(f.radius > 0) || !(f.share > 0 && f.share < 1) || !(f.jitter >= 0) ||
      std::abs(f.normal_W.norm() - 1) > 1e-9)
    throw_expected("make_dataset focus",
                   "radius > 0, share in (0, 1), jitter >= 0 and a unit normal",
                   data_config_to_json(c)["focus"].dump());
  if (arm.task == TaskKind::kPlanarXY && f.normal_W.cross(Eigen::Vector3d::UnitZ()).norm() > 1e-9)
    throw_expected("make_dataset focus.normal",
                   "(0, 0, 1): arm '" + arm.name + "' moves in the xy plane",
                   data_config_to_json(c)["focus"]["normal"].dump());
}

}  // namespace

Dataset make_dataset(const Arm& arm, const DataConfig& c, int threads) {
  validate(arm, c);
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const bool canonical = !c.branch_preference.empty();
  std::optional<Canonicaliser> canon;
  if (canonical || has_analytic_ik(arm)) canon.emplace(arm, c.branch_preference);

  Dataset d;
  d.arm = arm.name;
  d.task = arm.task;
  d.task_size = task_size(arm.task);
  d.dof = arm.dof();
  d.n = c.n;
  d.config = c;
  d.hash = dataset_hash(arm, c);
  d.targets.resize(static_cast<size_t>(d.n) * d.task_size);
  d.joints.resize(static_cast<size_t>(d.n) * d.dof);
  d.branch.resize(static_cast<size_t>(d.n));
  d.focus.resize(static_cast<size_t>(d.n));
  // the focus samples are the last ones; the split's permutation mixes them in
  const std::int64_t n_focus = c.focus ? std::llround(c.n * c.focus->share) : 0;
  const std::int64_t n_base = c.n - n_focus;
  if (canon) d.report.branches = canon->branches();
  d.report.samples = n_base;
  Counts total(d.report.branches.size());

  const JointSampler sampler(arm, c.sampling, n_base, c.seed);
  parallel_chunks(c.n, threads, total, [&](std::int64_t begin, std::int64_t end, Counts& counts) {
    for (std::int64_t i = begin; i < end; ++i) {
      if (i >= n_base) break;
      JointVec q = sampler(i);
      int branch = -1;
      if (canon) {
        // the target's closed-form solutions: which branches reach it, which one q is on
        const Canonicaliser::Result r = canon->canonicalise(q);
        counts.solutions[r.solutions] += 1;
        for (size_t b = 0; b < d.report.branches.size(); ++b)
          counts.reachable[b] += (r.reachable >> b) & 1u;
        counts.reach_sets[r.reachable] += 1;
        counts.unmatched += r.own_branch < 0;
        branch = r.own_branch;
        if (canonical && r.branch >= 0) {
          q = r.q;
          branch = r.branch;
          counts.moved += r.branch != r.own_branch;
        }
        if (branch >= 0) counts.assigned[branch] += 1;
      }
      wrap_to_nearest_zero(arm, q);
      store(arm, q, branch, false, i, d);
    }
    for (std::int64_t i = std::max(begin, n_base); i < end; ++i) {
      // a reachable target near the circle, solved on the preferred branch (no preference:
      // a random one of those that reach it)
      Rng rng = stream_rng(c.seed, kFocusStream, static_cast<std::uint64_t>(i));
      bool done = false;
      for (int attempt = 0; attempt < kFocusAttempts && !done; ++attempt) {
        const TaskVec x = focus_target(arm, *c.focus, rng);
        JointVec q;
        int branch = -1;
        if (canonical) {
          const Canonicaliser::Result r = canon->solve(x);
          if (r.solutions == 0) continue;
          q = r.q;
          branch = r.branch;
        } else if (canon) {
          const AnalyticSolutions s = solve_ik_analytic(arm, x);
          if (s.count == 0) continue;
          const AnalyticSolution& pick = s.sol[below(rng, s.count)];
          q = pick.q;
          branch = canon->branch_index(pick.branch);
        } else {
          IkOptions opt;
          opt.time_budget_ms = 0;  // bounded by restarts, not the clock: deterministic
          opt.max_restarts = 20;
          opt.seed = rng.next();
          const IkResult r = solve_ik(arm, x, opt, sample_joints(arm, rng));
          if (r.status != IkStatus::kConverged) continue;
          q = r.q;
        }
        wrap_to_nearest_zero(arm, q);
        store(arm, q, branch, true, i, d);
        done = true;
      }
      if (!done)
        throw Error("make_dataset focus: no reachable target near the circle (centre " +
                    data_config_to_json(c)["focus"]["centre"].dump() + ", radius " +
                    json(c.focus->radius).dump() + ") of arm '" + arm.name + "' in " +
                    std::to_string(kFocusAttempts) + " draws; is it inside the workspace?");
    }
  });
  d.report.reachable = total.reachable;
  d.report.assigned = total.assigned;
  d.report.solutions = canon ? total.solutions : std::vector<std::int64_t>{};
  d.report.reach_sets = total.reach_sets;
  d.report.moved = total.moved;
  d.report.unmatched = canon ? total.unmatched : 0;

  d.split = make_split(c.n, c.seed, c.val_share, c.test_share);
  return d;
}

// ---- the cache file ----------------------------------------------------------------------

namespace {

constexpr char kMagic[8] = {'N', 'K', 'D', 'A', 'T', 'A', '\0', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxHeader = 1u << 24;

// the arrays in file order, as (pointer, bytes) blocks
template <class D, class F>
void for_each_array(D& d, F&& f) {
  f(d.targets.data(), d.targets.size() * sizeof(float));
  f(d.joints.data(), d.joints.size() * sizeof(float));
  f(d.branch.data(), d.branch.size());
  f(d.focus.data(), d.focus.size());
  f(d.split.order.data(), d.split.order.size() * sizeof(std::uint32_t));
}

void resize_arrays(Dataset& d) {
  d.targets.resize(static_cast<size_t>(d.n) * d.task_size);
  d.joints.resize(static_cast<size_t>(d.n) * d.dof);
  d.branch.resize(static_cast<size_t>(d.n));
  d.focus.resize(static_cast<size_t>(d.n));
  d.split.order.resize(static_cast<size_t>(d.n));
}

json header_of(const Dataset& d) {
  return json{{"arm", d.arm},
              {"task", task_name(d.task)},
              {"task_size", d.task_size},
              {"dof", d.dof},
              {"n", d.n},
              {"config", data_config_to_json(d.config)},
              {"split", {{"train", d.split.train}, {"val", d.split.val}, {"test", d.split.test}}},
              {"report", branch_report_to_json(d.report)}};
}

}  // namespace

void save_dataset(const Dataset& d, const std::string& path) {
  const std::string header = header_of(d).dump();
  std::size_t bytes = sizeof kMagic + 4 + 8 + 4 + header.size() + 8;
  for_each_array(d, [&](const void*, std::size_t b) { bytes += b; });
  std::string out;
  out.reserve(bytes);
  Checksum sum;
  const auto put = [&](const void* p, std::size_t b) {
    out.append(static_cast<const char*>(p), b);
    sum.add(p, b);
  };
  const std::uint32_t header_size = static_cast<std::uint32_t>(header.size());
  put(kMagic, sizeof kMagic);
  put(&kVersion, 4);
  put(&d.hash, 8);
  put(&header_size, 4);
  put(header.data(), header.size());
  for_each_array(d, put);
  const std::uint64_t checksum = sum.value();
  out.append(reinterpret_cast<const char*>(&checksum), 8);
  io::write_file_atomic(path, out);
}

Dataset load_dataset(const std::string& path, std::uint64_t expected_hash) {
  std::error_code ec;
  const std::uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path + ": cannot read the dataset: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the dataset");
  Checksum sum;
  const auto get = [&](void* p, std::size_t b, const char* what) {
    if (!in.read(static_cast<char*>(p), static_cast<std::streamsize>(b)))
      throw Error(path + ": truncated (ends inside the " + what + ")");
    sum.add(p, b);
  };
  char magic[8];
  get(magic, 8, "magic");
  if (std::memcmp(magic, kMagic, 8) != 0)
    throw Error(path + ": not a neurokin dataset (bad magic)");
  std::uint32_t version, header_size;
  std::uint64_t hash;
  get(&version, 4, "version");
  if (version != kVersion)
    throw Error(path + ": dataset format version " + std::to_string(version) +
                ", this build reads version " + std::to_string(kVersion));
  get(&hash, 8, "hash");
  if (hash != expected_hash)
    throw Error(path + ": made for another arm or data config (hash " + hex(hash) + ", expected " +
                hex(expected_hash) + ")");
  get(&header_size, 4, "header size");
  if (header_size > kMaxHeader)
    throw Error(path + ": corrupt (header of " + std::to_string(header_size) + " bytes)");
  std::string text(header_size, '\0');
  get(text.data(), header_size, "header");

  // the header says how large the arrays are: the file must be exactly that long
  Dataset d;
  const std::string w = path + ": header";
  try {
    const json h = json::parse(text);
    d.arm = ju::string(ju::field(h, "arm", w), w + ".arm");
    d.task = task_from_name(ju::string(ju::field(h, "task", w), w + ".task"));
    d.task_size =
        static_cast<int>(ju::integer(ju::field(h, "task_size", w), w + ".task_size", 1, 7));
    d.dof = static_cast<int>(ju::integer(ju::field(h, "dof", w), w + ".dof", 1, kMaxJoints));
    d.n = ju::integer(ju::field(h, "n", w), w + ".n", 1, 0x7fffffff);
    d.config = data_config_from_json(ju::field(h, "config", w), w + ".config");
    const json& s = ju::field(h, "split", w);
    d.split.train = ju::integer(ju::field(s, "train", w), w + ".split.train", 0, d.n);
    d.split.val = ju::integer(ju::field(s, "val", w), w + ".split.val", 0, d.n);
    d.split.test = ju::integer(ju::field(s, "test", w), w + ".split.test", 0, d.n);
    d.report = branch_report_from_json(ju::field(h, "report", w), w + ".report");
  } catch (const json::exception& e) {
    throw Error(w + ": not valid JSON: " + e.what());
  }
  d.hash = hash;
  if (d.task_size != task_size(d.task) || d.config.n != d.n ||
      d.split.train + d.split.val + d.split.test != d.n)
    throw Error(w + ": inconsistent sizes (task " + task_name(d.task) + " of size " +
                std::to_string(d.task_size) + ", n " + std::to_string(d.n) + ", config n " +
                std::to_string(d.config.n) + ", split sums to " +
                std::to_string(d.split.train + d.split.val + d.split.test) + ")");
  // checked before the arrays are allocated: a header claiming 2^31 samples is a file size
  // mismatch, not 60 GB of memory (found by tests/fuzz/fuzz_dataset_cache)
  Dataset one = d;
  one.n = 1;
  resize_arrays(one);
  std::uintmax_t per_sample = 0;
  for_each_array(one, [&](const void*, std::size_t b) { per_sample += b; });
  const std::uintmax_t expected =
      sizeof kMagic + 4 + 8 + 4 + header_size + 8 + per_sample * static_cast<std::uintmax_t>(d.n);
  if (file_size != expected)
    throw Error(path + ": " + (file_size < expected ? "truncated" : "too long") + ": expected " +
                std::to_string(expected) + " bytes, got " + std::to_string(file_size));
  resize_arrays(d);
  for_each_array(d, [&](void* p, std::size_t b) { get(p, b, "arrays"); });
  std::uint64_t checksum;
  if (!in.read(reinterpret_cast<char*>(&checksum), 8))
    throw Error(path + ": truncated (ends before the checksum)");
  if (checksum != sum.value()) throw Error(path + ": corrupt (checksum mismatch)");

  // what the checksum cannot vouch for: a file written by a buggy writer
  const int branches = static_cast<int>(d.report.branches.size());
  for (std::int64_t i = 0; i < d.n; ++i)
    if (d.branch[i] < -1 || d.branch[i] >= branches || d.focus[i] > 1)
      throw Error(path + ": corrupt (sample " + std::to_string(i) + " has branch " +
                  std::to_string(d.branch[i]) + ", focus " + std::to_string(d.focus[i]) + ")");
  std::vector<bool> seen(static_cast<size_t>(d.n));
  for (std::uint32_t k : d.split.order) {
    if (k >= d.n || seen[k]) throw Error(path + ": corrupt (the split is not a permutation)");
    seen[k] = true;
  }
  return d;
}

Dataset load_or_make_dataset(const Arm& arm, const DataConfig& c, const std::string& path,
                             int threads, std::string* made) {
  std::string why;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    why = path + ": no cached dataset";
  } else {
    try {
      Dataset d = load_dataset(path, dataset_hash(arm, c));
      if (made) made->clear();
      return d;
    } catch (const Error& e) {
      why = e.what();
    }
  }
  Dataset d = make_dataset(arm, c, threads);
  save_dataset(d, path);
  if (made) *made = why;
  return d;
}

}  // namespace neurokin::data
