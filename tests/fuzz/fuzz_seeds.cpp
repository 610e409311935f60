// The fuzzers' seed corpus, made at build time from the repository's data (nothing large is
// committed): fuzz_seeds SOURCE_DIR OUT_DIR writes OUT_DIR/<fuzzer>/<name> for each fuzzer.
//   fuzz_arm:           models/arms/*.json as they are
//   fuzz_model:         models/fixtures/*.json, and small random-weight models of every arm,
//                       kind, encoding and decoding (tests/support/model_json.h)
//   fuzz_csv:           joints and targets files of each arm, as the CLI reads and writes them
//   fuzz_task_vector:   reachable targets of each arm (arm byte, then the raw doubles)
//   fuzz_dataset_cache: small cached datasets of each arm (the trainer's --cache files)
#include <filesystem>
#include <fstream>
#include <iostream>

#include "data/dataset.h"
#include "io/csv.h"
#include "neurokin/kinematics.h"
#include "neurokin/random.h"
#include "support/model_json.h"

namespace fs = std::filesystem;
using namespace neurokin;

namespace {

const char* const kArms[] = {"planar2", "puma3", "omx4", "kr6"};  // fuzz_task_vector's order

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// fuzz_csv's layout: the column count byte, then the file
std::string csv_seed(const std::vector<std::string>& header,
                     const std::vector<Eigen::VectorXd>& rows) {
  io::CsvWriter w(header);
  for (const auto& r : rows) {
    for (double v : r) w.add(v);
    w.end_row();
  }
  return std::string(1, static_cast<char>(header.size() - 1)) + w.text();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: fuzz_seeds SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  const fs::path src = argv[1], out = argv[2];
  for (const auto& e : fs::directory_iterator(src / "models/arms"))
    fs::copy_file(
        e.path(),
        (fs::create_directories(out / "fuzz_arm"), out / "fuzz_arm" / e.path().filename()),
        fs::copy_options::overwrite_existing);
  for (const auto& e : fs::directory_iterator(src / "models/fixtures"))
    fs::copy_file(
        e.path(),
        (fs::create_directories(out / "fuzz_model"), out / "fuzz_model" / e.path().filename()),
        fs::copy_options::overwrite_existing);

  // every kind, encoding and decoding, on the arm each is made for
  struct Made {
    const char *arm, *kind, *encoding, *decoding;
  };
  const Made models[] = {
      {"planar2", "ik", "raw", "angles"},       {"planar2", "ik", "polar", "sincos"},
      {"puma3", "ik", "polar", "angles"},       {"puma3", "feasibility", "raw", "softmax"},
      {"omx4", "ik", "polar_pitch", "sincos"},  {"kr6", "ik", "pose", "angles"},
      {"kr6", "feasibility", "pose", "softmax"}};
  std::uint64_t seed = 0;
  for (const Made& m : models)
    write(out / "fuzz_model" /
              (std::string(m.arm) + "-" + m.kind + "-" + m.encoding + "-" + m.decoding + ".json"),
          test::model_json(m.arm, m.kind, m.encoding, m.decoding, 4, ++seed).dump());

  for (std::size_t a = 0; a < std::size(kArms); ++a) {
    const Arm arm = load_arm((src / "models/arms" / (std::string(kArms[a]) + ".json")).string());
    Rng rng(a);
    std::vector<Eigen::VectorXd> joints, targets;
    for (int i = 0; i < 3; ++i) {
      joints.push_back(sample_joints(arm, rng));
      targets.push_back(task_vector(arm, fk(arm, joints.back())));
    }
    std::vector<std::string> joint_names, task_names;
    for (const Joint& j : arm.joints) joint_names.push_back(j.name);
    for (int k = 0; k < task_size(arm.task); ++k) task_names.push_back("t" + std::to_string(k));
    write(out / "fuzz_csv" / (std::string(kArms[a]) + "-joints.csv"),
          csv_seed(joint_names, joints));
    write(out / "fuzz_csv" / (std::string(kArms[a]) + "-targets.csv"),
          csv_seed(task_names, targets));

    for (std::size_t i = 0; i < targets.size(); ++i) {
      std::string bytes(1, static_cast<char>(a));
      bytes.append(reinterpret_cast<const char*>(targets[i].data()),
                   targets[i].size() * sizeof(double));
      write(out / "fuzz_task_vector" / (std::string(kArms[a]) + "-" + std::to_string(i)), bytes);
    }

    data::DataConfig c;
    c.n = 24;
    c.seed = a + 1;
    data::save_dataset(data::make_dataset(arm, c, 1),
                       (fs::create_directories(out / "fuzz_dataset_cache"),
                        (out / "fuzz_dataset_cache" / (std::string(kArms[a]) + ".bin")).string()));
  }
  return 0;
}
