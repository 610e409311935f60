// JS bindings of neurokin_core (embind): the Arm and Model classes of docs/js-api.md.
// Bindings only: this file converts and type-checks JS values; every computation, and every
// check of sizes and values, is the core's. A C++ exception never leaves as a bare number: it
// becomes a JS Error carrying the core's message, prefixed with the JS call ("Arm.fk: ...").
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>  // EM_JS (em_js.h alone lacks EMSCRIPTEN_KEEPALIVE in 3.1.6)
#include <emscripten/val.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "neurokin/arm.h"
#include "neurokin/clustered.h"
#include "neurokin/conditioning.h"
#include "neurokin/error.h"
#include "neurokin/ik.h"
#include "neurokin/json_util.h"
#include "neurokin/kinematics.h"
#include "neurokin/model.h"
#include "neurokin/nn.h"
#include "neurokin/random.h"
#include "neurokin/trajectory.h"

namespace {

using emscripten::val;

// ---- errors at the boundary -------------------------------------------------------------

// a JS exception leaving wasm skips every C++ destructor and the restore of the shadow-stack
// pointer, which embind 3.1.6 does not do either: after a few thousand errors the stack
// would run into the heap. So every embind entry point (functions, methods, constructors) is
// wrapped to restore the stack pointer when anything throws; installed before registration.
// (craftInvokerFunction is embind's internal maker of entry points: checked by the tests.)
// clang-format off
EM_JS(void, nk_install_stack_guard, (), {
  if (typeof craftInvokerFunction !== 'function' || craftInvokerFunction.nkStackGuard) return;
  var craft = craftInvokerFunction;
  craftInvokerFunction = function(humanName, argTypes) {
    var invoker = craft.apply(null, arguments);
    var guarded = function() {
      var sp = stackSave();
      try {
        return invoker.apply(this, arguments);
      } catch (e) {
        stackRestore(sp);
        throw e;
      }
    };
    // how embind's wrong-argument-count message lists overloads (else their source code)
    var n = argTypes.length - 2;
    guarded.toString = function() { return humanName + '(' + n + (n == 1 ? ' argument)' : ' arguments)'); };
    return guarded;
  };
  craftInvokerFunction.nkStackGuard = true;
});
// clang-format on

// throws a JS Error; it owns no C++ object and creates no emval handle, so nothing leaks
EM_JS(void, nk_throw_error, (const char* message), { throw new Error(UTF8ToString(message)); });

// the message of the error being thrown: static, as the throw skips destructors
std::string& pending_error() {
  static std::string message;
  return message;
}

// the core's message, prefixed with the JS call unless it already names it
void set_pending_error(const char* where, const char* what) {
  const std::string w = where;
  pending_error() = std::string(what).compare(0, w.size(), w) == 0 ? what : w + ": " + what;
}

// runs body and returns its result; a C++ exception becomes a JS Error. The call's JS
// arguments are released first (the throw would skip their destructors and leak the handles)
template <typename Body>
auto guarded(const char* where, std::initializer_list<val*> js_args, Body&& body)
    -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    set_pending_error(where, e.what());
  } catch (...) {
    set_pending_error(where, "unknown C++ exception");
  }
  for (val* v : js_args) *v = val::undefined();
  nk_throw_error(pending_error().c_str());
  __builtin_unreachable();
}

// ---- JS values in ----------------------------------------------------------------------

// a short JS value for messages: "undefined", "number 3", "the string \"abc\"", "[object Object]"
std::string describe(const val& v) {
  const std::string type = v.typeOf().as<std::string>();
  if (v.isNull()) return "null";
  if (type == "undefined") return type;
  if (type == "number" || type == "boolean")
    return type + " " + val::global("String")(v).as<std::string>();
  if (type == "string") {
    const std::string text = val::global("JSON").call<std::string>("stringify", v);
    return "the string " + (text.size() > 40 ? text.substr(0, 36) + "...\"" : text);
  }
  if (type != "object") return type;
  return val::global("Object")["prototype"]["toString"].call<std::string>("call", v);
}

// Arrays and typed arrays of numbers (BigInt arrays cannot be converted to double)
bool is_number_array(const val& v) {
  if (v.isArray()) return true;
  if (!val::global("ArrayBuffer").call<bool>("isView", v)) return false;
  const std::string tag =
      val::global("Object")["prototype"]["toString"].call<std::string>("call", v);
  return tag != "[object DataView]" && tag.find("Big") == std::string::npos;
}

// a JS Array or typed array as a vector; entries that are not numbers become NaN, which the
// core's checks then name
template <typename T>
std::vector<T> to_numbers(const val& v, const std::string& where, const std::string& expected) {
  if (!is_number_array(v)) neurokin::throw_expected(where, expected, describe(v));
  return emscripten::convertJSArrayToNumberVector<T>(v);
}

Eigen::VectorXd to_vector(const val& v, const std::string& where, const std::string& expected) {
  const std::vector<double> x = to_numbers<double>(v, where, expected);
  return Eigen::Map<const Eigen::VectorXd>(x.data(), static_cast<Eigen::Index>(x.size()));
}

// joint angles checked by the core ("Arm.fk q: expected 6 joint angles (kr6), got 5")
Eigen::VectorXd to_joints(const neurokin::Arm& arm, const val& v, const std::string& where) {
  const Eigen::VectorXd q = to_vector(
      v, where, "a Float64Array or Array of " + std::to_string(arm.dof()) + " joint angles");
  neurokin::check_joints(arm, q, where);
  return q;
}

// a task vector checked by the core (size, finite, unit quaternion)
Eigen::VectorXd to_target(const neurokin::Arm& arm, const val& v, const std::string& where) {
  const Eigen::VectorXd x =
      to_vector(v, where,
                "a Float64Array or Array of " + std::to_string(neurokin::task_size(arm.task)) +
                    " task values (" + neurokin::task_name(arm.task) + ")");
  neurokin::check_task_vector(arm, x, where);
  return x;
}

// n rows of `width` numbers, row-major (Model.predict, the batch Arm calls); the size is
// checked: "expected 2 x 7 = 14 values, got 13"
template <typename T>
std::vector<T> to_rows(const val& v, std::size_t n, int width, const std::string& where,
                       const std::string& row) {
  const std::vector<T> x =
      to_numbers<T>(v, where, "a typed array or Array of n x " + std::to_string(width) + " " + row);
  const std::size_t w = static_cast<std::size_t>(width);
  if (x.size() != n * w)
    neurokin::throw_expected(where,
                             std::to_string(n) + " x " + std::to_string(width) + " = " +
                                 std::to_string(n * w) + " values",
                             std::to_string(x.size()));
  return x;
}

double to_number(const val& v, const std::string& where) {
  if (!v.isNumber() || !std::isfinite(v.as<double>()))
    neurokin::throw_expected(where, "a finite number", describe(v));
  return v.as<double>();
}

// an integer in [lo, hi]; JS numbers are doubles, so hi <= 2^53 - 1 keeps it exact
std::int64_t to_integer(const val& v, const std::string& where, double lo, double hi) {
  const double x = v.isNumber() ? v.as<double>() : NAN;
  if (!(x >= lo && x <= hi && x == std::floor(x))) {
    char range[96];
    std::snprintf(range, sizeof range, "an integer in [%.17g, %.17g]", lo, hi);
    neurokin::throw_expected(where, range, describe(v));
  }
  return static_cast<std::int64_t>(x);
}

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1

// JSON text, the file's bytes (ArrayBuffer or a view such as Uint8Array, decoded as UTF-8), or
// a parsed object (JSON.stringify'd): the file formats are the core's. Bytes that are not UTF-8
// become U+FFFD (a non-fatal decoder never throws), which the JSON parser then names
std::string to_json_text(const val& v, const std::string& where) {
  if (v.isString()) return v.as<std::string>();
  if (v.instanceof
      (val::global("ArrayBuffer")) || val::global("ArrayBuffer").call<bool>("isView", v))
    return val::global("TextDecoder").new_(std::string("utf-8")).call<std::string>("decode", v);
  if (v.typeOf().as<std::string>() == "object" && !v.isNull() && !v.isArray())
    return val::global("JSON").call<std::string>("stringify", v);
  neurokin::throw_expected(where, "JSON text (a string or an ArrayBuffer) or a parsed JSON object",
                           describe(v));
}

// ---- JS values out ---------------------------------------------------------------------

// a copy (the view onto wasm memory would be invalidated when the memory grows)
val float64_array(const double* p, std::size_t n) {
  return val::global("Float64Array").new_(emscripten::typed_memory_view(n, p));
}
val float32_array(const float* p, std::size_t n) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(n, p));
}
template <typename Vec>
val float64_array(const Vec& v) {
  const Eigen::VectorXd x = v;  // contiguous doubles whatever the expression
  return float64_array(x.data(), static_cast<std::size_t>(x.size()));
}

val number_array(std::initializer_list<double> values) {
  val a = val::array();
  for (double x : values) a.call<void>("push", x);
  return a;
}

// ---- options -----------------------------------------------------------------------------

// the keys of an options object, each checked against the valid names (listed on error)
std::vector<std::string> option_keys(const val& options, const std::string& where,
                                     const std::vector<std::string>& valid) {
  std::vector<std::string> keys;
  if (options.isUndefined() || options.isNull()) return keys;
  if (options.typeOf().as<std::string>() != "object" || options.isArray())
    neurokin::throw_expected(where, "an options object", describe(options));
  const val names = val::global("Object").call<val>("keys", options);
  const int n = names["length"].as<int>();
  for (int i = 0; i < n; ++i) {
    const std::string key = names[i].as<std::string>();
    bool known = false;
    for (const std::string& v : valid) known = known || v == key;
    if (!known) {
      std::string list;
      for (const std::string& v : valid) list += (list.empty() ? "" : ", ") + v;
      neurokin::throw_expected(where, "options among " + list, "'" + key + "'");
    }
    keys.push_back(key);
  }
  return keys;
}

// Arm.ik / Arm.classifyPose options -> IkOptions (+ q0, starts)
struct IkCall {
  neurokin::IkOptions opt;
  bool has_q0 = false;
  Eigen::VectorXd q0;
  int starts = 8;
};

// which call the options are for: each accepts its own names
enum class IkCallKind { kIk, kRefine, kClassify };

IkCall to_ik_call(const neurokin::Arm& arm, const val& options, const std::string& where,
                  IkCallKind kind) {
  static const std::vector<std::string> kIkOptions = {
      "tolPos", "tolRot", "timeMs", "seed", "maxIterations", "maxRestarts", "q0"};
  static const std::vector<std::string> kRefineOptions = {"tolPos", "tolRot", "maxIterations"};
  static const std::vector<std::string> kClassifyOptions = {"starts",        "tolPos", "tolRot",
                                                            "maxIterations", "timeMs", "seed"};
  const std::vector<std::string>& valid = kind == IkCallKind::kIk       ? kIkOptions
                                          : kind == IkCallKind::kRefine ? kRefineOptions
                                                                        : kClassifyOptions;
  IkCall call;
  if (kind == IkCallKind::kRefine) {
    // a refinement is one deterministic descent from the given start: no restarts, no clock
    call.opt.max_restarts = 0;
    call.opt.time_budget_ms = 0;
    call.opt.max_iterations = 50;
  }
  for (const std::string& key : option_keys(options, where + " options", valid)) {
    const val v = options[key];
    const std::string w = where + " options." + key;
    if (key == "tolPos")
      call.opt.tol_pos = to_number(v, w);
    else if (key == "tolRot")
      call.opt.tol_rot = to_number(v, w);
    else if (key == "timeMs")
      call.opt.time_budget_ms = to_number(v, w);
    else if (key == "seed")
      call.opt.seed = static_cast<std::uint64_t>(to_integer(v, w, 0, kMaxSafeInteger));
    else if (key == "maxIterations")
      call.opt.max_iterations = static_cast<int>(to_integer(v, w, 1, 1e9));
    else if (key == "maxRestarts")
      call.opt.max_restarts = static_cast<int>(to_integer(v, w, 0, 1e9));
    else if (key == "starts")
      call.starts = static_cast<int>(to_integer(v, w, 1, 1e6));
    else if (key == "q0") {
      call.q0 = to_joints(arm, v, w);
      call.has_q0 = true;
    }
  }
  return call;
}

// ---- Arm ---------------------------------------------------------------------------------

// an arm and the scratch its calls reuse; one per JS Arm object
struct ArmJs {
  neurokin::Arm arm;
  std::vector<Eigen::Isometry3d> frames;
};

std::shared_ptr<ArmJs> new_arm(val source) {
  return guarded("new Arm", {&source}, [&] {
    return std::make_shared<ArmJs>(
        ArmJs{neurokin::arm_from_json_text(to_json_text(source, "new Arm")), {}});
  });
}

int arm_dof(const ArmJs& a) { return a.arm.dof(); }
std::string arm_name(const ArmJs& a) { return a.arm.name; }
std::string arm_description(const ArmJs& a) { return a.arm.description; }
std::string arm_task(const ArmJs& a) { return neurokin::task_name(a.arm.task); }
int arm_task_size(const ArmJs& a) { return neurokin::task_size(a.arm.task); }
int arm_task_dof(const ArmJs& a) { return neurokin::task_dof(a.arm.task); }
bool arm_has_analytic_ik(const ArmJs& a) { return neurokin::has_analytic_ik(a.arm); }

val arm_joint_names(const ArmJs& a) {
  val names = val::array();
  for (const neurokin::Joint& j : a.arm.joints) names.call<void>("push", j.name);
  return names;
}

val arm_thresholds(const ArmJs& a) {
  const neurokin::ConditioningThresholds& t = a.arm.conditioning;
  if (!t.valid()) return val::null();
  val r = val::object();
  r.set("p20", t.p20);
  r.set("p80", t.p80);
  r.set("samples", t.samples);
  r.set("seed", t.seed);
  return r;
}

val arm_lower(const ArmJs& a) { return float64_array(a.arm.lower()); }
val arm_upper(const ArmJs& a) { return float64_array(a.arm.upper()); }

std::string arm_json(const ArmJs& a) {
  return guarded("Arm.json", {}, [&] { return neurokin::arm_to_json(a.arm).dump(); });
}

val arm_fk(const ArmJs& a, val q_js) {
  return guarded("Arm.fk", {&q_js}, [&] {
    const Eigen::VectorXd q = to_joints(a.arm, q_js, "Arm.fk q");
    const Eigen::Isometry3d X_WT = neurokin::fk(a.arm, q);
    const Eigen::Quaterniond q_WT = neurokin::canonical_quaternion(X_WT.linear());
    const Eigen::Vector3d p_WT = X_WT.translation();
    val r = val::object();
    r.set("position", number_array({p_WT.x(), p_WT.y(), p_WT.z()}));
    r.set("quaternion", number_array({q_WT.x(), q_WT.y(), q_WT.z(), q_WT.w()}));
    r.set("task", float64_array(neurokin::task_vector(a.arm, X_WT)));
    r.set("matrix", float64_array(X_WT.matrix().data(), 16));
    return r;
  });
}

val arm_frames(ArmJs& a, val q_js) {
  return guarded("Arm.frames", {&q_js}, [&] {
    const Eigen::VectorXd q = to_joints(a.arm, q_js, "Arm.frames q");
    neurokin::fk_frames(a.arm, q, a.frames);
    // (n + 2) column-major 4x4 matrices, back to back (three.js Matrix4.fromArray(a, 16 * i))
    std::vector<double> m(16 * a.frames.size());
    for (std::size_t i = 0; i < a.frames.size(); ++i) {
      Eigen::Map<Eigen::Matrix4d>(m.data() + 16 * i) = a.frames[i].matrix();
    }
    return float64_array(m.data(), m.size());
  });
}

// each joint's rotation axis in world: point (3) then unit direction (3), 6 per joint; the
// joint frame is X_W,i-1 * A_i (arm.h), where the axis is fixed whatever q_i is
val arm_joint_axes(ArmJs& a, val q_js) {
  return guarded("Arm.jointAxes", {&q_js}, [&] {
    const Eigen::VectorXd q = to_joints(a.arm, q_js, "Arm.jointAxes q");
    neurokin::fk_frames(a.arm, q, a.frames);
    std::vector<double> out(6 * a.arm.joints.size());
    for (std::size_t i = 0; i < a.arm.joints.size(); ++i) {
      const neurokin::Joint& joint = a.arm.joints[i];
      const Eigen::Isometry3d X_WJ = a.frames[i] * joint.A;
      Eigen::Map<Eigen::Vector3d>(out.data() + 6 * i) = X_WJ.translation();
      Eigen::Map<Eigen::Vector3d>(out.data() + 6 * i + 3) = X_WJ.linear() * joint.axis;
    }
    return float64_array(out.data(), out.size());
  });
}

// q with each joint turned by whole turns into its limits where one fits (the same pose): a
// network's sin/cos outputs decode to (-pi, pi], which need not be inside the limits
val arm_wrap_into_limits(const ArmJs& a, val q_js) {
  return guarded("Arm.wrapIntoLimits", {&q_js}, [&] {
    Eigen::VectorXd q = to_joints(a.arm, q_js, "Arm.wrapIntoLimits q");
    const bool within = neurokin::wrap_into_limits(a.arm, q);
    val r = val::object();
    r.set("q", float64_array(q));
    r.set("within", within);
    return r;
  });
}

val ik_result(const neurokin::IkResult& r) {
  val out = val::object();
  out.set("q", float64_array(r.q));
  out.set("status", std::string(neurokin::status_name(r.status)));
  out.set("positionError", r.position_error);
  out.set("orientationError", r.orientation_error);
  out.set("iterations", r.iterations);
  out.set("restarts", r.restarts);
  return out;
}

val arm_ik_with(const ArmJs& a, val target_js, val options) {
  return guarded("Arm.ik", {&target_js, &options}, [&] {
    const Eigen::VectorXd target = to_target(a.arm, target_js, "Arm.ik target");
    const IkCall call = to_ik_call(a.arm, options, "Arm.ik", IkCallKind::kIk);
    return ik_result(call.has_q0 ? neurokin::solve_ik(a.arm, target, call.opt, call.q0)
                                 : neurokin::solve_ik(a.arm, target, call.opt));
  });
}

val arm_ik(const ArmJs& a, val target_js) {
  return arm_ik_with(a, std::move(target_js), val::undefined());
}

val arm_ik_analytic(const ArmJs& a, val target_js) {
  return guarded("Arm.ikAnalytic", {&target_js}, [&] {
    const Eigen::VectorXd target = to_target(a.arm, target_js, "Arm.ikAnalytic target");
    const neurokin::AnalyticSolutions s = neurokin::solve_ik_analytic(a.arm, target);
    val out = val::array();
    for (int i = 0; i < s.count; ++i) {
      val sol = val::object();
      sol.set("q", float64_array(s.sol[i].q));
      sol.set("branch", std::string(s.sol[i].branch));
      out.call<void>("push", sol);
    }
    return out;
  });
}

val arm_conditioning(const ArmJs& a, val q_js) {
  return guarded("Arm.conditioning", {&q_js}, [&] {
    const Eigen::VectorXd q = to_joints(a.arm, q_js, "Arm.conditioning q");
    const neurokin::Conditioning c = neurokin::conditioning(a.arm, q);
    val r = val::object();
    r.set("manipulability", c.manipulability);
    r.set("inverseCondition", c.inverse_condition);
    return r;
  });
}

val arm_classify_pose_with(const ArmJs& a, val target_js, val options) {
  return guarded("Arm.classifyPose", {&target_js, &options}, [&] {
    const Eigen::VectorXd target = to_target(a.arm, target_js, "Arm.classifyPose target");
    const IkCall call = to_ik_call(a.arm, options, "Arm.classifyPose", IkCallKind::kClassify);
    const neurokin::PoseFeasibility f =
        neurokin::classify_pose(a.arm, target, call.starts, call.opt);
    val r = val::object();
    r.set("class", std::string(neurokin::feasibility_name(f.cls)));
    r.set("classIndex", static_cast<int>(f.cls));
    r.set("inverseCondition", f.inverse_condition);
    r.set("q", f.solutions > 0 ? float64_array(f.q) : val::null());
    r.set("solutions", f.solutions);
    return r;
  });
}

val arm_classify_pose(const ArmJs& a, val target_js) {
  return arm_classify_pose_with(a, std::move(target_js), val::undefined());
}

val arm_calibrate(ArmJs& a, val samples_js, val seed_js) {
  return guarded("Arm.calibrate", {&samples_js, &seed_js}, [&] {
    const int samples = static_cast<int>(to_integer(samples_js, "Arm.calibrate samples", 10, 1e8));
    const auto seed =
        static_cast<std::uint64_t>(to_integer(seed_js, "Arm.calibrate seed", 0, 4294967295.0));
    a.arm.conditioning = neurokin::compute_thresholds(a.arm, samples, seed);
    return arm_thresholds(a);
  });
}

val arm_sample(const ArmJs& a, val count_js, val seed_js) {
  return guarded("Arm.sample", {&count_js, &seed_js}, [&] {
    const auto count = static_cast<std::size_t>(to_integer(count_js, "Arm.sample count", 0, 1e7));
    const auto seed =
        static_cast<std::uint64_t>(to_integer(seed_js, "Arm.sample seed", 0, kMaxSafeInteger));
    // the core's generator: the same configurations natively and here
    neurokin::Rng rng(seed);
    const std::size_t n = static_cast<std::size_t>(a.arm.dof());
    std::vector<double> q(count * n);
    for (std::size_t i = 0; i < count; ++i)
      Eigen::Map<Eigen::VectorXd>(q.data() + i * n, a.arm.dof()) =
          neurokin::sample_joints(a.arm, rng);
    return float64_array(q.data(), q.size());
  });
}

val arm_refine_with(const ArmJs& a, val target_js, val q0_js, val options) {
  return guarded("Arm.refine", {&target_js, &q0_js, &options}, [&] {
    const Eigen::VectorXd target = to_target(a.arm, target_js, "Arm.refine target");
    const Eigen::VectorXd q0 = to_joints(a.arm, q0_js, "Arm.refine q0");
    const IkCall call = to_ik_call(a.arm, options, "Arm.refine", IkCallKind::kRefine);
    return ik_result(neurokin::solve_ik(a.arm, target, call.opt, q0));
  });
}

val arm_refine(const ArmJs& a, val target_js, val q0_js) {
  return arm_refine_with(a, std::move(target_js), std::move(q0_js), val::undefined());
}

std::size_t to_count(const val& n_js, const std::string& where) {
  return static_cast<std::size_t>(to_integer(n_js, where, 0, 1e7));
}

// row i of a flat batch as a vector, checked as the single calls check it
Eigen::VectorXd row_of(const std::vector<double>& flat, std::size_t i, int width) {
  return Eigen::Map<const Eigen::VectorXd>(flat.data() + i * width, width);
}

val arm_task_vectors(const ArmJs& a, val q_js, val n_js) {
  return guarded("Arm.taskVectors", {&q_js, &n_js}, [&] {
    const std::size_t n = to_count(n_js, "Arm.taskVectors n");
    const int dof = a.arm.dof(), m = neurokin::task_size(a.arm.task);
    const std::vector<double> q = to_rows<double>(q_js, n, dof, "Arm.taskVectors q", "angles");
    std::vector<double> out(n * m);
    for (std::size_t i = 0; i < n; ++i) {
      const Eigen::VectorXd qi = row_of(q, i, dof);
      neurokin::check_joints(a.arm, qi, "Arm.taskVectors q row " + std::to_string(i));
      Eigen::Map<Eigen::VectorXd>(out.data() + i * m, m) =
          neurokin::task_vector(a.arm, neurokin::fk(a.arm, qi));
    }
    return float64_array(out.data(), out.size());
  });
}

val arm_task_errors(const ArmJs& a, val targets_js, val q_js, val n_js) {
  return guarded("Arm.taskErrors", {&targets_js, &q_js, &n_js}, [&] {
    const std::size_t n = to_count(n_js, "Arm.taskErrors n");
    const int dof = a.arm.dof(), m = neurokin::task_size(a.arm.task);
    const std::vector<double> x =
        to_rows<double>(targets_js, n, m, "Arm.taskErrors targets", "task values");
    const std::vector<double> q = to_rows<double>(q_js, n, dof, "Arm.taskErrors q", "angles");
    std::vector<double> out(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string row = " row " + std::to_string(i);
      const Eigen::VectorXd xi = row_of(x, i, m), qi = row_of(q, i, dof);
      neurokin::check_task_vector(a.arm, xi, "Arm.taskErrors targets" + row);
      neurokin::check_joints(a.arm, qi, "Arm.taskErrors q" + row);
      const neurokin::TaskError e = neurokin::task_error(a.arm, neurokin::fk(a.arm, qi), xi);
      out[2 * i] = e.position_error;
      out[2 * i + 1] = e.orientation_error;
    }
    return float64_array(out.data(), out.size());
  });
}

val arm_classify_poses_with(const ArmJs& a, val targets_js, val n_js, val options) {
  return guarded("Arm.classifyPoses", {&targets_js, &n_js, &options}, [&] {
    const std::size_t n = to_count(n_js, "Arm.classifyPoses n");
    const int m = neurokin::task_size(a.arm.task);
    const std::vector<double> x =
        to_rows<double>(targets_js, n, m, "Arm.classifyPoses targets", "task values");
    const IkCall call = to_ik_call(a.arm, options, "Arm.classifyPoses", IkCallKind::kClassify);
    std::vector<std::uint8_t> cls(n);
    std::vector<double> inverse_condition(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Eigen::VectorXd xi = row_of(x, i, m);
      neurokin::check_task_vector(a.arm, xi, "Arm.classifyPoses targets row " + std::to_string(i));
      const neurokin::PoseFeasibility f = neurokin::classify_pose(a.arm, xi, call.starts, call.opt);
      cls[i] = static_cast<std::uint8_t>(f.cls);
      inverse_condition[i] = f.inverse_condition;
    }
    val r = val::object();
    r.set("classIndex",
          val::global("Uint8Array").new_(emscripten::typed_memory_view(n, cls.data())));
    r.set("inverseCondition", float64_array(inverse_condition.data(), n));
    return r;
  });
}

val arm_classify_poses(const ArmJs& a, val targets_js, val n_js) {
  return arm_classify_poses_with(a, std::move(targets_js), std::move(n_js), val::undefined());
}

// ---- Model -------------------------------------------------------------------------------

// a model and the workspace its predictions reuse; one per JS Model object. A clustered model
// (neurokin/clustered.h) is held whole in `clustered`; `model` is then its first member, which
// has the same arm, input and output sizes, for the properties they share
struct ModelJs {
  explicit ModelJs(neurokin::Model m) : model(std::move(m)), ws(model.net) {}
  explicit ModelJs(neurokin::ClusteredModel c)
      : model(c.clusters.at(0).model),
        ws(model.net),
        clustered(std::make_unique<neurokin::ClusteredModel>(std::move(c))),
        cws(std::make_unique<neurokin::ClusteredWorkspace>(*clustered)) {}
  neurokin::Model model;
  neurokin::Workspace ws;
  std::unique_ptr<neurokin::ClusteredModel> clustered;
  std::unique_ptr<neurokin::ClusteredWorkspace> cws;
  std::vector<float> cq;            // clustered: n x K x dof candidates
  std::vector<double> cpe, coe;     // clustered: n x K errors
  std::vector<int> cbest;           // clustered: n choices
  // the buffers of inputs(n) / run(n): JS writes and reads them in place (no copies)
  std::vector<float> x, y;
  std::size_t rows = 0;  // rows the buffers hold
};

std::shared_ptr<ModelJs> new_model(val source) {
  return guarded("new Model", {&source}, [&] {
    const nlohmann::json j = neurokin::json_util::parse(to_json_text(source, "new Model"), "model");
    if (neurokin::is_clustered_model(j))
      return std::make_shared<ModelJs>(neurokin::clustered_model_from_json(j));
    return std::make_shared<ModelJs>(neurokin::model_from_json(j));
  });
}

std::string model_kind(const ModelJs& m) {
  return m.clustered ? neurokin::kClusteredKind : neurokin::model_kind_name(m.model.kind);
}
int model_input_size(const ModelJs& m) { return m.model.net.input_size; }
int model_output_size(const ModelJs& m) { return m.model.net.output_size(); }
int model_clusters(const ModelJs& m) { return m.clustered ? m.clustered->k() : 0; }
double model_parameter_count(const ModelJs& m) {
  if (!m.clustered) return static_cast<double>(m.model.net.parameter_count());
  double n = 0;
  for (const neurokin::Cluster& c : m.clustered->clusters) n += static_cast<double>(c.model.net.parameter_count());
  return n;
}

val model_metadata(const ModelJs& m) {
  return guarded("Model.metadata", {}, [&] {
    return val::global("JSON").call<val>("parse", (m.clustered ? m.clustered->metadata : m.model.metadata).dump());
  });
}

// a clustered model on n rows: every candidate, its errors, the FK-consistent choice (into m's
// buffers), and the chosen answers into y (n x dof) when given
void run_clustered(ModelJs& m, const float* x, std::size_t n, float* y) {
  const int k = m.clustered->k(), dof = m.clustered->arm.dof();
  m.cq.resize(n * k * dof);
  m.cpe.resize(n * k);
  m.coe.resize(n * k);
  m.cbest.resize(n);
  neurokin::predict_candidates(*m.clustered, *m.cws, x, n, m.cq.data(), m.cpe.data(), m.coe.data(), m.cbest.data());
  for (std::size_t r = 0; y && r < n; ++r)
    std::copy_n(&m.cq[(r * k + m.cbest[r]) * dof], dof, y + r * dof);
}

std::shared_ptr<ArmJs> model_arm(const ModelJs& m) {
  return std::make_shared<ArmJs>(ArmJs{m.model.arm, {}});
}

std::string model_json(const ModelJs& m) {
  return guarded("Model.json", {}, [&] {
    return (m.clustered ? neurokin::clustered_model_to_json(*m.clustered) : neurokin::model_to_json(m.model)).dump();
  });
}

// every input finite, else "<where>[i]: expected a finite number, got nan"
void check_finite(const float* x, std::size_t n, const std::string& where) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      neurokin::throw_expected(where + "[" + std::to_string(i) + "]", "a finite number",
                               std::to_string(x[i]));
}

// n rows of a model's inputs from JS (numbers, finite), checked and named as `where`
std::vector<float> input_rows(const ModelJs& m, val& inputs_js, val& n_js, const std::string& where,
                              std::size_t& n) {
  n = static_cast<std::size_t>(to_integer(n_js, where + " n", 0, 1e8));
  std::vector<float> x = to_rows<float>(inputs_js, n, m.model.net.input_size, where + " inputs", "inputs");
  check_finite(x.data(), x.size(), where + " inputs");
  return x;
}

// n rows of inputs through `run` (predict or forward) into `width` floats per row
template <typename Run>
val model_rows(ModelJs& m, val& inputs_js, val& n_js, const char* name, int width, Run run) {
  return guarded(name, {&inputs_js, &n_js}, [&] {
    std::size_t n = 0;
    const std::vector<float> x = input_rows(m, inputs_js, n_js, name, n);
    std::vector<float> y(n * width);
    run(m.model.net, m.ws, x.data(), n, y.data());
    return float32_array(y.data(), y.size());
  });
}

val model_predict(ModelJs& m, val inputs_js, val n_js) {
  const int width = m.model.net.output_size();
  if (!m.clustered) return model_rows(m, inputs_js, n_js, "Model.predict", width, neurokin::predict);
  // a clustered model: the FK-consistent candidate of its clusters
  return model_rows(m, inputs_js, n_js, "Model.predict", width,
                    [&](const neurokin::Network&, neurokin::Workspace&, const float* x, std::size_t n, float* y) {
                      run_clustered(m, x, n, y);
                    });
}

// the network's outputs before decoding (nn.h forward): what the wasm and native builds are
// compared on
val model_forward(ModelJs& m, val inputs_js, val n_js) {
  if (m.clustered)
    return guarded("Model.forward", {&inputs_js, &n_js}, [&]() -> val {
      neurokin::throw_expected("Model.forward", "a model with one network",
                               "a clustered model of " + std::to_string(m.clustered->k()) +
                                   " networks (use predictCandidates)");
      return val::undefined();
    });
  return model_rows(m, inputs_js, n_js, "Model.forward", m.model.net.net_outputs(), neurokin::forward);
}
int model_net_outputs(const ModelJs& m) { return m.model.net.net_outputs(); }

// a clustered model: every cluster's candidate, its FK errors and the choice
val model_predict_candidates(ModelJs& m, val inputs_js, val n_js) {
  return guarded("Model.predictCandidates", {&inputs_js, &n_js}, [&] {
    if (!m.clustered)
      neurokin::throw_expected("Model.predictCandidates", "a clustered model (kind \"ik_clustered\")",
                               "a " + model_kind(m) + " model (use predict, or predictBranches for branch heads)");
    std::size_t n = 0;
    const std::vector<float> x = input_rows(m, inputs_js, n_js, "Model.predictCandidates", n);
    run_clustered(m, x.data(), n, nullptr);
    val r = val::object();
    r.set("outputs", float32_array(m.cq.data(), n * m.clustered->k() * m.clustered->arm.dof()));
    r.set("positionErrors", val(emscripten::typed_memory_view(n * m.clustered->k(), m.cpe.data())).call<val>("slice"));
    r.set("orientationErrors", val(emscripten::typed_memory_view(n * m.clustered->k(), m.coe.data())).call<val>("slice"));
    r.set("chosen", val(emscripten::typed_memory_view(n, m.cbest.data())).call<val>("slice"));
    return r;
  });
}

// a network with branch heads (nn.h): every head's answer and how likely each branch is
val model_predict_branches(ModelJs& m, val inputs_js, val n_js) {
  return guarded("Model.predictBranches", {&inputs_js, &n_js}, [&] {
    const neurokin::Network& net = m.model.net;
    const int out = net.output_size(), k = net.heads();
    std::size_t n = 0;
    const std::vector<float> x = input_rows(m, inputs_js, n_js, "Model.predictBranches", n);
    std::vector<float> y(n * k * out), p(n * k);
    neurokin::predict_branches(net, m.ws, x.data(), n, y.data(), p.data());
    val r = val::object();
    r.set("outputs", float32_array(y.data(), y.size()));
    r.set("probabilities", float32_array(p.data(), p.size()));
    return r;
  });
}

// a trajectory model's next joints from q towards target (trajectory.h trajectory_step: the
// target first moved to within maxStep metres of the tool, the answer wrapped into the limits)
val model_step(ModelJs& m, val q_js, val target_js, val max_step_js) {
  return guarded("Model.step", {&q_js, &target_js, &max_step_js}, [&] {
    if (m.model.kind != neurokin::ModelKind::kTrajectory || m.clustered)
      neurokin::throw_expected("Model.step", "a trajectory model (kind \"trajectory\")",
                               "a " + model_kind(m) + " model (use predict)");
    const Eigen::VectorXd q = to_joints(m.model.arm, q_js, "Model.step q");
    const Eigen::VectorXd target = to_target(m.model.arm, target_js, "Model.step target");
    const double max_step = to_number(max_step_js, "Model.step maxStep");
    return float64_array(neurokin::trajectory_step(m.model, m.ws, q, target, max_step));
  });
}

val model_branches(const ModelJs& m) {
  val names = val::array();
  for (const std::string& b : m.model.net.branches) names.call<void>("push", b);
  return names;
}

// a Float32Array over wasm memory itself: no copy, valid until memory grows (docs/js-api.md)
val float32_view(float* p, std::size_t n) { return val(emscripten::typed_memory_view(n, p)); }

// the input buffer for n rows, to fill in place before run(n); both buffers are sized here so
// that run() allocates nothing and this view stays valid through it
val model_inputs(ModelJs& m, val n_js) {
  return guarded("Model.inputs", {&n_js}, [&] {
    const std::size_t n = to_count(n_js, "Model.inputs n");
    if (n > m.rows) {
      m.x.resize(n * m.model.net.input_size);
      m.y.resize(n * m.model.net.output_size());
      m.rows = n;
    }
    return float32_view(m.x.data(), n * m.model.net.input_size);
  });
}

val model_run(ModelJs& m, val n_js) {
  return guarded("Model.run", {&n_js}, [&] {
    const std::size_t n = to_count(n_js, "Model.run n");
    if (n > m.rows)
      neurokin::throw_expected("Model.run n",
                               "at most " + std::to_string(m.rows) +
                                   " rows (the last inputs(n); call inputs(" + std::to_string(n) +
                                   ") first)",
                               std::to_string(n));
    check_finite(m.x.data(), n * m.model.net.input_size, "Model.run inputs");
    if (m.clustered) run_clustered(m, m.x.data(), n, m.y.data());
    else neurokin::predict(m.model.net, m.ws, m.x.data(), n, m.y.data());
    return float32_view(m.y.data(), n * m.model.net.output_size());
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neurokin) {
  nk_install_stack_guard();  // before any registration: see above

  // objects are held by shared_ptr: embind then also frees one the program forgot to delete()
  // when the garbage collector takes its JS handle (FinalizationRegistry); raw pointers never

  emscripten::class_<ArmJs>("Arm")
      .smart_ptr_constructor("ArmPtr", &new_arm)
      .property("dof", &arm_dof)
      .property("name", &arm_name)
      .property("description", &arm_description)
      .property("task", &arm_task)
      .property("taskSize", &arm_task_size)
      .property("taskDof", &arm_task_dof)
      .property("hasAnalyticIk", &arm_has_analytic_ik)
      .property("jointNames", &arm_joint_names)
      .property("thresholds", &arm_thresholds)
      .function("lower", &arm_lower)
      .function("upper", &arm_upper)
      .function("json", &arm_json)
      .function("fk", &arm_fk)
      .function("frames", &arm_frames)
      .function("jointAxes", &arm_joint_axes)
      .function("wrapIntoLimits", &arm_wrap_into_limits)
      .function("ik", &arm_ik)
      .function("ik", &arm_ik_with)
      .function("ikAnalytic", &arm_ik_analytic)
      .function("conditioning", &arm_conditioning)
      .function("classifyPose", &arm_classify_pose)
      .function("classifyPose", &arm_classify_pose_with)
      .function("refine", &arm_refine)
      .function("refine", &arm_refine_with)
      .function("taskVectors", &arm_task_vectors)
      .function("taskErrors", &arm_task_errors)
      .function("classifyPoses", &arm_classify_poses)
      .function("classifyPoses", &arm_classify_poses_with)
      .function("calibrate", &arm_calibrate)
      .function("sample", &arm_sample);

  emscripten::class_<ModelJs>("Model")
      .smart_ptr_constructor("ModelPtr", &new_model)
      .property("kind", &model_kind)
      .property("inputSize", &model_input_size)
      .property("outputSize", &model_output_size)
      .property("netOutputs", &model_net_outputs)
      .property("parameterCount", &model_parameter_count)
      .property("branches", &model_branches)
      .property("clusters", &model_clusters)
      .function("arm", &model_arm)
      .function("metadata", &model_metadata)
      .function("json", &model_json)
      .function("predict", &model_predict)
      .function("forward", &model_forward)
      .function("predictBranches", &model_predict_branches)
      .function("predictCandidates", &model_predict_candidates)
      .function("step", &model_step)
      .function("inputs", &model_inputs)
      .function("run", &model_run);
}
