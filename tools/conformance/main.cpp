// kiln-conformance: runs every ONNX backend test under ROOT through kiln, each in its own process (a crash or
// hang in one test cannot take the run down), classifies it, and checks the expected-pass list (a ratchet).
//
//   kiln-conformance [--config CFG] [--filter TEXT]... [--jobs N] [--timeout SEC] [--expected FILE]
//                    [--write-passing FILE] [--verbose] ROOT
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "test_case.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;
using namespace kiln::conformance;

namespace {

struct Options {
  std::string root, config = KILN_DEFAULT_CONFIG, expected, write_passing;
  std::vector<std::string> filters;
  int jobs = 2, timeout = 120;
  bool verbose = false;
};

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw kiln::Error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--config") o.config = value();
    else if (a == "--filter") o.filters.push_back(value());
    else if (a == "--jobs") o.jobs = std::max(1, std::stoi(value()));
    else if (a == "--timeout") o.timeout = std::max(1, std::stoi(value()));
    else if (a == "--expected") o.expected = value();
    else if (a == "--write-passing") o.write_passing = value();
    else if (a == "--verbose") o.verbose = true;
    else if (a == "--help" || a == "-h") {
      std::puts("usage: kiln-conformance [--config CFG] [--filter TEXT]... [--jobs N] [--timeout SEC]\n"
                "                        [--expected FILE] [--write-passing FILE] [--verbose] ROOT\n"
                "ROOT holds <suite>/test_*/ folders (e.g. ../shared/onnx-tests). --filter keeps tests whose\n"
                "id (<suite>/<test>) contains TEXT. --expected fails the run when a listed test does not pass.");
      std::exit(0);
    } else if (!a.empty() && a[0] == '-') throw kiln::Error("unknown option " + a);
    else o.root = a;
  }
  if (o.root.empty()) throw kiln::Error("no test ROOT given (see --help)");
  return o;
}

// "<suite>/<test>" -> folder, sorted.
std::map<std::string, std::string> find_tests(const Options& o) {
  std::map<std::string, std::string> tests;
  for (const auto& suite : fs::directory_iterator(o.root)) {
    if (!suite.is_directory()) continue;
    for (const auto& test : fs::directory_iterator(suite.path())) {
      const std::string id = suite.path().filename().string() + "/" + test.path().filename().string();
      if (!fs::exists(test.path() / "model.onnx")) continue;
      const bool wanted = o.filters.empty() || std::any_of(o.filters.begin(), o.filters.end(), [&](const auto& f) {
                            return id.find(f) != std::string::npos;
                          });
      if (wanted) tests[id] = test.path().string();
    }
  }
  return tests;
}

struct Running {
  std::string id;
  pid_t pid;
  int fd;
};

// Forks a child that runs one test and writes "<outcome>\n<detail>" to a pipe.
Running start_test(const std::string& id, const std::string& dir, const Options& o, const kiln::BuildConfig& config,
                   kiln::PluginRegistry& registry) {
  int fds[2];
  if (pipe(fds) != 0) throw kiln::Error("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw kiln::Error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    alarm(static_cast<unsigned>(o.timeout));
    const Result r = run_test_case(dir, config, registry);
    const std::string text = std::string(outcome_name(r.outcome)) + "\n" + r.detail;
    size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = write(fds[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  return {id, pid, fds[0]};
}

Result finish_test(const Running& r) {
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(r.fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(r.fd);
  int status = 0;
  waitpid(r.pid, &status, 0);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    if (sig == SIGALRM) return {Outcome::Timeout, "did not finish in time"};
    return {Outcome::Crash, std::string("killed by signal ") + strsignal(sig)};
  }
  const size_t nl = text.find('\n');
  const std::string name = text.substr(0, nl);
  const std::string detail = nl == std::string::npos ? "" : text.substr(nl + 1);
  for (Outcome o : {Outcome::Pass, Outcome::Wrong, Outcome::Unsupported, Outcome::Error})
    if (name == outcome_name(o)) return {o, detail};
  return {Outcome::Crash, "the test process exited without a result"};
}

// "Conv" from "node 'x' (Conv): ..." — what an unsupported test is missing, for the summary.
std::string missing_what(const std::string& detail) {
  const size_t open = detail.find(" ("), close = detail.find("):");
  if (open == std::string::npos || close == std::string::npos || close < open) return "(other)";
  return detail.substr(open + 2, close - open - 2);
}

std::set<std::string> read_list(const std::string& path) {
  std::set<std::string> ids;
  std::ifstream in(path);
  if (!in) throw kiln::Error(path + ": cannot open expected-pass list");
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') ids.insert(line);
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = parse_options(argc, argv);
    const kiln::BuildConfig config = kiln::load_build_config(o.config);
    kiln::PluginRegistry registry;
    registry.load_all(config);  // once, before forking: children inherit the loaded plugins

    const std::map<std::string, std::string> tests = find_tests(o);
    std::map<std::string, Result> results;
    std::vector<Running> running;
    auto reap_one = [&] {
      // Children finish in any order; wait on the oldest pipe (reads block until that child exits).
      Running r = running.front();
      running.erase(running.begin());
      const Result result = finish_test(r);
      results[r.id] = result;
      if (o.verbose || result.outcome != Outcome::Pass)
        std::printf("%-12s %s%s%s\n", outcome_name(result.outcome), r.id.c_str(), result.detail.empty() ? "" : ": ",
                    result.detail.substr(0, 400).c_str());
    };
    for (const auto& [id, dir] : tests) {
      if (static_cast<int>(running.size()) >= o.jobs) reap_one();
      running.push_back(start_test(id, dir, o, config, registry));
    }
    while (!running.empty()) reap_one();

    std::map<Outcome, int> counts;
    std::map<std::string, int> missing;
    for (const auto& [id, r] : results) {
      ++counts[r.outcome];
      if (r.outcome == Outcome::Unsupported) ++missing[missing_what(r.detail)];
    }
    std::vector<std::pair<int, std::string>> top;
    for (const auto& [what, n] : missing) top.emplace_back(n, what);
    std::sort(top.rbegin(), top.rend());
    if (!top.empty()) {
      std::printf("\nmost common unsupported:");
      for (size_t i = 0; i < std::min<size_t>(top.size(), 25); ++i)
        std::printf(" %s(%d)", top[i].second.c_str(), top[i].first);
      std::printf("\n");
    }
    std::printf("\n%zu tests: %d pass, %d wrong, %d unsupported, %d error, %d crash, %d timeout\n", results.size(),
                counts[Outcome::Pass], counts[Outcome::Wrong], counts[Outcome::Unsupported], counts[Outcome::Error],
                counts[Outcome::Crash], counts[Outcome::Timeout]);

    if (!o.write_passing.empty()) {
      std::ofstream out(o.write_passing);
      out << "# ONNX conformance tests kiln passes (a ratchet: CI fails when one stops passing).\n";
      for (const auto& [id, r] : results)
        if (r.outcome == Outcome::Pass) out << id << "\n";
    }
    int exit_code = counts[Outcome::Crash] > 0 ? 1 : 0;
    if (!o.expected.empty()) {
      int regressions = 0;
      for (const std::string& id : read_list(o.expected)) {
        auto it = results.find(id);
        if (it == results.end() && !o.filters.empty()) continue;  // filtered out of this run
        if (it == results.end() || it->second.outcome != Outcome::Pass) {
          std::printf("REGRESSION   %s is in %s but %s\n", id.c_str(), o.expected.c_str(),
                      it == results.end() ? "was not found" : outcome_name(it->second.outcome));
          ++regressions;
        }
      }
      std::printf("expected-pass list: %d regression(s)\n", regressions);
      if (regressions) exit_code = 1;
    }
    if (counts[Outcome::Crash]) std::printf("%d test(s) crashed\n", counts[Outcome::Crash]);
    return exit_code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kiln-conformance: error: %s\n", e.what());
    return 2;
  }
}
