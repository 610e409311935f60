// The subcommands of the neurokin tool, one file each: every add_*_command registers its
// options on the app and runs when that subcommand is given. Errors are thrown (Error for
// bad input, CLI::ParseError for usage) and mapped to exit codes by main().
#pragma once

#include <CLI/CLI.hpp>

namespace neurokin::cli {

void add_fk_command(CLI::App& app);
void add_ik_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_classify_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_calibrate_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_track_command(CLI::App& app);
void add_ablate_command(CLI::App& app);
void add_report_command(CLI::App& app);

}  // namespace neurokin::cli
