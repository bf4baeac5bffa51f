// The kiln command line: a small argument reader shared by the subcommands.
#ifndef KILN_CLI_HPP
#define KILN_CLI_HPP

#include <map>
#include <string>
#include <vector>

namespace kiln::cli {

// "--name value" options (repeatable), "--flag" switches, and positional arguments.
struct Args {
  std::vector<std::string> positional;
  std::multimap<std::string, std::string> options;
  std::vector<std::string> flags;

  bool flag(const std::string& name) const;
  std::string option(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& name) const;
  int integer(const std::string& name, int fallback) const;
};

// Parses argv[first..]; `valued` lists the options that take a value. Throws kiln::Error on an unknown option.
Args parse(int argc, char** argv, int first, const std::vector<std::string>& valued,
           const std::vector<std::string>& switches);

int run_command(const Args& args);
int build_command(const Args& args);
int inspect_command(const Args& args);
int plugins_command(const Args& args);
// `kiln plugin check ...`: parses its own arguments (usage and load errors exit 2).
int plugin_command(int argc, char** argv);

}  // namespace kiln::cli

#endif  // KILN_CLI_HPP
