// The ablation studies of `neurokin ablate` (docs/ablations.md): each is a base training config
// and variants that override some of its fields, as `neurokin train --set` does, so a variant
// differs from the base exactly where the study says.
//
//  - "fk-weight" (seed 000, A-4.4) on kr6 positioned only (task "position": (x, y, z) -> 6
//    joints): MSE only, FK only, lambda_fk in {5, 2, 1, 0.5, 0.1, 0} and the curriculum
//    (lambda_max = 1 over the run's 100 epochs).
//  - "seed001" (seed 001's ablations) on puma3: sin/cos outputs, gated residual blocks,
//    adaptive weights, hard mining, EMA, DLS refinement; then each without one of hard
//    mining, adaptive weights (fixed instead), refinement, gating/residuals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace neurokin::ablate {

struct Variant {
  std::string name;                    // file-safe: "lambda-0.5", "no-hard-mining"
  std::string label;                   // as the table shows it: "lambda_fk = 0.5"
  std::vector<std::string> overrides;  // "loss.fk_position=0.5" (train::apply_override)
  bool refine = true;                  // evaluated with the study's refinement (if it has one)
};

// a column of the study's table: a number of each variant's result (results.json), by JSON
// pointer, times scale, with `digits` decimals; "-" where the variant has none
struct Column {
  std::string header, pointer;
  int digits = 2;
  double scale = 1;
};

struct Study {
  std::string name, arm, title;
  std::string seed;  // which seed's figures it reproduces ("000 A-4.4", "001")
  nlohmann::json base;  // a full training config
  std::vector<Variant> variants{};
  long long eval_n = 10000;  // fresh evaluation targets
  int refine_iterations = 0;  // DLS iterations from the network's answer, no restarts (0: none)
  std::vector<Column> columns{};
};

// the names of the studies, and one by name and arm; Error lists the valid names ("study
// 'x': expected one of fk-weight, seed001") and the study's arm when the arm differs
const std::vector<std::string>& study_names();
Study find_study(const std::string& name, const std::string& arm);

// the study at a fraction of its size: data.n, epochs and the evaluation targets times
// `scale` (at least 200 samples, 2 epochs, 50 targets); the network and everything else as is
Study scaled(Study s, double scale);

// a variant's training config: the base with the variant's overrides applied in order
nlohmann::json variant_config(const Study& s, const Variant& v);

}  // namespace neurokin::ablate
