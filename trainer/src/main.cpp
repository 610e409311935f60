// neurokin: the command-line tool. main() only builds the command set, dispatches, and maps
// errors to exit codes: 0 success, 1 bad input or a failed write, 2 a usage error.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "neurokin/error.h"

namespace {

// "--arm is required" with where to look next, on one line
int usage_error(const CLI::App& app, const CLI::ParseError& e) {
  std::string help = "neurokin --help";
  for (const CLI::App* sub : app.get_subcommands())
    help = "neurokin " + sub->get_name() + " --help";
  std::cerr << "neurokin: " << e.what() << " (see '" << help << "')\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "NeuroKinematics: forward and inverse kinematics of robot arms, with learned IK models.",
      "neurokin");
  app.set_version_flag("--version", "neurokin " NEUROKIN_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(24);
  app.footer(
      "Arms: planar2, puma3, omx4, kr6 (models/arms/*.json), or a path to an arm file.\n"
      "Files are CSV with a header row; '-' means standard input / output.\n"
      "Run 'neurokin COMMAND --help' for a command's options and columns.");
  neurokin::cli::add_fk_command(app);
  neurokin::cli::add_ik_command(app);
  neurokin::cli::add_predict_command(app);
  neurokin::cli::add_classify_command(app);
  neurokin::cli::add_info_command(app);
  neurokin::cli::add_sample_command(app);
  neurokin::cli::add_calibrate_command(app);
  neurokin::cli::add_bench_command(app);
  neurokin::cli::add_export_command(app);
  neurokin::cli::add_train_command(app);
  neurokin::cli::add_eval_command(app);
  neurokin::cli::add_track_command(app);
  neurokin::cli::add_ablate_command(app);
  neurokin::cli::add_report_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e);
  } catch (const std::exception& e) {
    std::cerr << "neurokin: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
