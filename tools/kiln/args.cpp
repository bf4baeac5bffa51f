#include <algorithm>

#include "cli.hpp"
#include "util/error.hpp"

namespace kiln::cli {

bool Args::flag(const std::string& name) const { return std::count(flags.begin(), flags.end(), name) > 0; }

std::string Args::option(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> values;
  for (auto [it, end] = options.equal_range(name); it != end; ++it) values.push_back(it->second);
  return values;
}

int Args::integer(const std::string& name, int fallback) const {
  const std::string text = option(name);
  if (text.empty()) return fallback;
  try {
    size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error("--" + name + " expects a whole number, got '" + text + "'");
}

Args parse(int argc, char** argv, int first, const std::vector<std::string>& valued,
           const std::vector<std::string>& switches) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-o") arg = "--output";  // the one short option: `kiln build m.onnx -o m.plan`
    if (arg.rfind("--", 0) != 0) {
      args.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (std::count(valued.begin(), valued.end(), name)) {
      if (!inline_value) {
        if (i + 1 >= argc) throw Error("option --" + name + " needs a value");
        value = argv[++i];
      }
      args.options.emplace(name, value);
    } else if (std::count(switches.begin(), switches.end(), name) && !inline_value) {
      args.flags.push_back(name);
    } else {
      throw Error("unknown option '" + arg + "' (see kiln --help)");
    }
  }
  return args;
}

}  // namespace kiln::cli
