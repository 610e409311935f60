// Training a config into its files, the one code path of `neurokin train` and of every run of
// `neurokin ablate`: OUT.json (model, config, metrics, curves, report), OUT.onnx, OUT.report.json,
// OUT.log.csv and OUT.ckpt.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "neurokin/model.h"

namespace neurokin::cli {

struct TrainFiles {
  std::string out;      // output prefix
  std::string cache;    // dataset cache file ("" : none)
  bool resume = false;  // continue from OUT.ckpt
  bool quiet = false;   // one line per epoch instead of a live progress line
  std::string command;  // recorded in the model's metadata
};

// trains the config (overrides already applied) and writes the files; the model's metadata
// holds "wall_seconds". A clustered config ("kind": "ik_clustered") writes the clustered model's
// files, prints its summary and returns an empty Model. Throws Error on a bad config, data or a failed write.
Model train_to_files(const nlohmann::json& config, const TrainFiles& files);

}  // namespace neurokin::cli
