// The YAML build config: the shipped default, every key, plugin path resolution, each error with its
// file:line:column, kernel-name globs (checked against POSIX fnmatch) and kernel preference validation.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "config/build_config.hpp"
#include "config/spelling.hpp"
#include "util/error.hpp"

namespace kiln {
namespace {

namespace fs = std::filesystem;

const char* const kFile = "cfg/model.yaml";  // the name parse_build_config reports; never opened

// The message parse_build_config throws for `yaml`, or "no error".
std::string error_of(const std::string& yaml) {
  try {
    parse_build_config(yaml, kFile);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// --- The happy path

TEST(BuildConfig, ShippedDefaultLoads) {
  const std::string path = std::string(KILN_SOURCE_DIR) + "/configs/cpu.yaml";
  const BuildConfig config = load_build_config(path);
  EXPECT_EQ(config.path, path);
  EXPECT_EQ(config.device, "cpu");
  ASSERT_EQ(config.plugins.size(), 1u);
  EXPECT_EQ(config.plugins[0].spec, "kiln_cpu_reference");
  EXPECT_FALSE(config.plugins[0].is_path);
  EXPECT_EQ(config.precisions, std::vector<std::string>{"fp32"});
  ASSERT_FALSE(config.kernels.empty());
  const KernelPreference& any_op = config.kernels.back();
  EXPECT_EQ(any_op.op, "*");
  EXPECT_EQ(any_op.patterns, std::vector<std::string>{"kiln.cpu_ref.*"});
  EXPECT_EQ(any_op.where.at(0).file, path);
  EXPECT_GT(any_op.where.at(0).line, 1);
}

TEST(BuildConfig, ReadsEveryKeyWithItsLocation) {
  const BuildConfig config = parse_build_config(
      "version: 1\n"
      "device: cuda\n"
      "plugins:\n"
      "  - kiln_cpu_reference\n"
      "precisions: [fp32, fp16, int8]\n"
      "kernels:\n"
      "  Conv: [acme.conv_fast, kiln.cpu_ref.*]\n"
      "  com.microsoft::Gelu: [acme.gelu]\n"
      "  \"*\": [kiln.cpu_ref.*]\n",
      kFile);
  EXPECT_EQ(config.device, "cuda");
  ASSERT_EQ(config.plugins.size(), 1u);
  EXPECT_EQ(config.plugins[0].where.str(), "cfg/model.yaml:4:5");
  EXPECT_EQ(config.precisions, (std::vector<std::string>{"fp32", "fp16", "int8"}));
  ASSERT_EQ(config.kernels.size(), 3u);  // in file order: the selector relies on it
  EXPECT_EQ(config.kernels[0].op, "Conv");
  EXPECT_EQ(config.kernels[0].patterns, (std::vector<std::string>{"acme.conv_fast", "kiln.cpu_ref.*"}));
  ASSERT_EQ(config.kernels[0].where.size(), 2u);
  EXPECT_EQ(config.kernels[0].where[0].str(), "cfg/model.yaml:7:10");
  EXPECT_EQ(config.kernels[0].where[1].str(), "cfg/model.yaml:7:26");
  EXPECT_EQ(config.kernels[1].op, "com.microsoft::Gelu");
  EXPECT_EQ(config.kernels[2].op, "*");
}

TEST(BuildConfig, DefaultsApplyToOmittedKeys) {
  const BuildConfig config = parse_build_config("plugins: [kiln_cpu_reference]\n", kFile);
  EXPECT_EQ(config.device, "cpu");
  EXPECT_EQ(config.precisions, std::vector<std::string>{"fp32"});
  EXPECT_TRUE(config.kernels.empty());
}

TEST(BuildConfig, PluginPathsAreRelativeToTheConfigFolder) {
  const fs::path root = fs::absolute(testing::TempDir()) / "build_config_paths";
  const fs::path config_dir = root / "configs";
  fs::create_directories(config_dir);
  std::ofstream(config_dir / "acme.yaml") << "plugins:\n"
                                             "  - kiln_cpu_reference\n"
                                             "  - ./libacme.so\n"
                                             "  - ../plugins/libfast.so\n"
                                             "  - libbeside.so\n"
                                             "  - /opt/acme/libabs.so\n"
                                             "  - vendor/libnested.so.2\n";
  const BuildConfig config = load_build_config((config_dir / "acme.yaml").string());
  ASSERT_EQ(config.plugins.size(), 6u);
  EXPECT_FALSE(config.plugins[0].is_path);  // a bare name: looked up in the plugin search path when loading
  EXPECT_TRUE(config.plugins[0].path.empty());
  const std::vector<fs::path> expected = {config_dir / "libacme.so", root / "plugins/libfast.so",
                                          config_dir / "libbeside.so", "/opt/acme/libabs.so",
                                          config_dir / "vendor/libnested.so.2"};
  for (size_t i = 0; i < expected.size(); ++i) {
    const PluginEntry& entry = config.plugins[i + 1];
    EXPECT_TRUE(entry.is_path) << entry.spec;
    EXPECT_EQ(entry.path, expected[i].lexically_normal().string()) << entry.spec;
  }
  EXPECT_EQ(config.plugins[2].spec, "../plugins/libfast.so");  // as written, for messages
}

TEST(BuildConfig, RelativeConfigPathStillGivesAbsolutePluginPaths) {
  const BuildConfig config = parse_build_config("plugins: [./libacme.so]\n", "configs/acme.yaml");
  EXPECT_EQ(config.plugins[0].path, (fs::current_path() / "configs/libacme.so").string());
}

// --- Errors: each names the file, 1-based line and column, and what is wrong

TEST(BuildConfigErrors, UnknownKeySuggestsTheNearestKnownOne) {
  EXPECT_EQ(error_of("device: cpu\nplugin: [kiln_cpu_reference]\n"),
            "cfg/model.yaml:2:1: unknown key 'plugin' — did you mean 'plugins'?");
  EXPECT_EQ(error_of("plugins: [a]\n  \nprecisons: [fp32]\n"),
            "cfg/model.yaml:3:1: unknown key 'precisons' — did you mean 'precisions'?");
  EXPECT_EQ(error_of("plugins: [a]\nthreads: 2\n"), "cfg/model.yaml:2:1: unknown key 'threads'");  // no near key
}

TEST(BuildConfigErrors, WrongTypes) {
  EXPECT_EQ(error_of("plugins: kiln_cpu_reference\n"),
            "cfg/model.yaml:1:10: 'plugins' must be a list, e.g. [kiln_cpu_reference]");
  EXPECT_EQ(error_of("plugins: [a]\nprecisions: [fp32, 7]\n"),
            "cfg/model.yaml:2:20: unknown precision '7' (expected fp32, fp16 or int8)");
  EXPECT_EQ(error_of("plugins: [a]\nprecisions: [[fp32]]\n"),
            "cfg/model.yaml:2:14: a precision must be a single value, not a list");
  EXPECT_EQ(error_of("plugins: [a]\ndevice: {name: cpu}\n"),
            "cfg/model.yaml:2:9: 'device' must be a single value, not a mapping");
  EXPECT_EQ(error_of("plugins: [a]\nkernels: [kiln.cpu_ref.*]\n"),
            "cfg/model.yaml:2:10: 'kernels' must map op names to kernel lists, e.g. Conv: [kiln.cpu_ref.*]");
  EXPECT_EQ(error_of("plugins: [a]\nkernels:\n  Conv: kiln.cpu_ref.Conv\n"),
            "cfg/model.yaml:3:9: the kernel list of 'Conv' must be a list, e.g. [kiln.cpu_ref.*]");
  EXPECT_EQ(error_of("plugins: [[a, b]]\n"), "cfg/model.yaml:1:11: a plugin entry must be a single value, not a list");
  EXPECT_EQ(error_of("[plugins]\n"), "cfg/model.yaml:1:1: a build config is a YAML mapping of keys (found a list); "
                                     "see docs/config.md");
}

TEST(BuildConfigErrors, UnknownValues) {
  EXPECT_EQ(error_of("plugins: [a]\ndevice: gpu\n"),
            "cfg/model.yaml:2:9: unknown device 'gpu' (expected cpu or cuda) — did you mean 'cpu'?");
  EXPECT_EQ(error_of("plugins: [a]\ndevice: CUDA\n"),
            "cfg/model.yaml:2:9: unknown device 'CUDA' (expected cpu or cuda) — did you mean 'cuda'?");
  EXPECT_EQ(error_of("plugins: [a]\nprecisions:\n  - fp32\n  - bf16\n"),
            "cfg/model.yaml:4:5: unknown precision 'bf16' (expected fp32, fp16 or int8) — did you mean 'fp16'?");
  EXPECT_EQ(error_of("version: 2\nplugins: [a]\n"),
            "cfg/model.yaml:1:10: unsupported config version '2' (this kiln reads version 1)");
}

TEST(BuildConfigErrors, DuplicatesAreRejected) {
  EXPECT_EQ(error_of("plugins: [a]\nkernels:\n  Conv: [x]\n  Relu: [y]\n  Conv: [z]\n"),
            "cfg/model.yaml:5:3: op 'Conv' is listed twice under 'kernels' (first at line 3)");
  EXPECT_EQ(error_of("device: cpu\nplugins: [a]\ndevice: cuda\n"), "cfg/model.yaml:3:1: key 'device' appears twice");
  EXPECT_EQ(error_of("plugins: [a, b, a]\n"), "cfg/model.yaml:1:17: plugin 'a' is listed twice (first at line 1)");
  EXPECT_EQ(error_of("plugins: [a]\nprecisions: [fp16, fp16]\n"),
            "cfg/model.yaml:2:20: precision 'fp16' is listed twice");
}

TEST(BuildConfigErrors, MissingAndEmptyValues) {
  EXPECT_EQ(error_of("plugins: []\n"),
            "cfg/model.yaml:1:10: 'plugins' is empty: name at least one plugin library, e.g. [kiln_cpu_reference]");
  EXPECT_EQ(error_of("device: cpu\n"), "cfg/model.yaml:1:1: missing key 'plugins' (see docs/config.md)");
  EXPECT_EQ(error_of("plugins: [a]\ndevice:\nprecisions: [fp32]\n"), "cfg/model.yaml:2:1: 'device' has no value");
  EXPECT_EQ(error_of("plugins:\n  - a\n  -\n  - b\n"), "cfg/model.yaml:2:3: 'plugins': item 2 has no value");
  EXPECT_EQ(error_of("plugins: [a]\nkernels: {Conv: [x, ~]}\n"),
            "cfg/model.yaml:2:17: the kernel list of 'Conv': item 2 has no value");
  EXPECT_EQ(error_of("plugins: [a, \"\"]\n"), "cfg/model.yaml:1:14: a plugin entry is empty");
  EXPECT_EQ(error_of("plugins: [a]\nprecisions: []\n"),
            "cfg/model.yaml:2:13: 'precisions' is empty: allow at least one, e.g. [fp32]");
  EXPECT_EQ(error_of("plugins: [a]\nkernels:\n  Conv:\n  Relu: [y]\n"),
            "cfg/model.yaml:3:3: the kernel list of 'Conv' has no value");
  EXPECT_EQ(error_of("plugins: [a]\nkernels:\n  Conv: []\n"),
            "cfg/model.yaml:3:9: the kernel list of 'Conv' is empty: name at least one kernel, e.g. [kiln.cpu_ref.*]");
  EXPECT_EQ(error_of(""), "cfg/model.yaml:1:1: a build config is a YAML mapping of keys (this file has none); "
                          "see docs/config.md");
}

TEST(BuildConfigErrors, MalformedYamlReportsTheParsersPosition) {
  EXPECT_EQ(error_of("plugins: [a, b\n"), "cfg/model.yaml:2:1: malformed YAML: end of sequence flow not found");
  EXPECT_EQ(error_of("device: cpu\nplugins: a: b\n"), "cfg/model.yaml:2:11: malformed YAML: illegal map value");
  EXPECT_EQ(error_of("plugins: *nowhere\n"), "cfg/model.yaml:1:10: malformed YAML: the referenced anchor is not defined");
}

TEST(BuildConfigErrors, MissingFileOrFolder) {
  const std::string missing = testing::TempDir() + "/no_such_config.yaml";
  try {
    load_build_config(missing);
    FAIL() << "loaded a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), missing + ": cannot open config file");
  }
  EXPECT_THROW(load_build_config(testing::TempDir()), Error);
}

// Every prefix and many one-byte corruptions of the shipped config either parse or fail with a located
// kiln::Error: no yaml-cpp exception escapes, nothing crashes.
TEST(BuildConfigErrors, CorruptedConfigsFailCleanly) {
  std::ifstream in(std::string(KILN_SOURCE_DIR) + "/configs/cpu.yaml");
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(good.size(), 100u);
  std::vector<std::string> variants;
  for (size_t n = 0; n <= good.size(); ++n) variants.push_back(good.substr(0, n));
  std::mt19937 rng(7);
  const std::string alphabet = ":-[]{}\"'*&!|>#,? \n\t7";
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] = alphabet[rng() % alphabet.size()];
    variants.push_back(bad);
  }
  for (const std::string& text : variants) {
    try {
      parse_build_config(text, kFile);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cfg/model.yaml:", 0), 0u) << e.what();
    }
  }
}

// --- Kernel-name patterns

// --- Builder keys: optimize, streams, profile

TEST(BuildConfig, ReadsBuilderKeys) {
  const BuildConfig config = parse_build_config(
      "plugins: [p]\n"
      "optimize: {constant_folding: false, fusion: false}\n"
      "streams: 4\n"
      "profile:\n"
      "  input: {min: [1, 3, 224, 224], opt: [8, 3, 224, 224], max: [32, 3, 224, 224]}\n"
      "  mask: {min: [1, 7], max: [2, 9]}\n",
      kFile);
  EXPECT_FALSE(config.optimize.constant_folding);
  EXPECT_FALSE(config.optimize.fusion);
  EXPECT_TRUE(config.optimize.dead_code);
  EXPECT_TRUE(config.optimize.horizontal_fusion);
  EXPECT_EQ(config.streams, 4);
  ASSERT_EQ(config.profile.size(), 2u);
  EXPECT_EQ(config.profile.at("input").opt, (std::vector<int64_t>{8, 3, 224, 224}));
  EXPECT_EQ(config.profile.at("mask").opt, config.profile.at("mask").max);  // opt defaults to max
  EXPECT_EQ(config.profile.at("input").where.line, 5);
}

TEST(BuildConfigErrors, BuilderKeysAreChecked) {
  EXPECT_EQ(error_of("plugins: [p]\noptimize: {constant_foldin: false}\n"),
            std::string(kFile) + ":2:12: unknown key 'constant_foldin' in 'optimize' — did you mean 'constant_folding'?");
  EXPECT_EQ(error_of("plugins: [p]\noptimize: {fusion: maybe}\n"),
            std::string(kFile) + ":2:20: 'optimize.fusion' must be true or false, not 'maybe'");
  EXPECT_EQ(error_of("plugins: [p]\nstreams: 0\n"),
            std::string(kFile) + ":2:10: 'streams' must be between 1 and 64, not 0");
  EXPECT_EQ(error_of("plugins: [p]\nstreams: two\n"),
            std::string(kFile) + ":2:10: 'streams' must be a whole number, not 'two'");
  EXPECT_NE(error_of("plugins: [p]\nprofile: {x: {min: [1, 3], max: [2]}}\n").find("same rank"), std::string::npos);
  EXPECT_NE(error_of("plugins: [p]\nprofile: {x: {min: [4], opt: [2], max: [8]}}\n").find("min <= opt <= max"),
            std::string::npos);
  EXPECT_NE(error_of("plugins: [p]\nprofile: {x: {min: [1]}}\n").find("needs both 'min' and 'max'"),
            std::string::npos);
  EXPECT_NE(error_of("plugins: [p]\nprofile: {x: {min: [-1], max: [2]}}\n").find("between 0 and"),
            std::string::npos);
}

// --- Device keys: precision, layer_precisions, tuning

TEST(BuildConfig, ReadsDeviceKeys) {
  const BuildConfig config = parse_build_config(
      "device: cuda\n"
      "plugins: [kiln_cuda, kiln_cpu_reference]\n"
      "precision: fp16\n"
      "layer_precisions:\n"
      "  \"/head/*\": fp32\n"
      "  layer4.*: fp16\n"
      "tuning: {cache: ../.kiln-cache/timing.cache}\n",
      kFile);
  EXPECT_EQ(config.precision, "fp16");
  ASSERT_EQ(config.layer_precisions.size(), 2u);  // in file order: the first match wins
  EXPECT_EQ(config.layer_precisions[0].pattern, "/head/*");
  EXPECT_EQ(config.layer_precisions[0].precision, "fp32");
  EXPECT_EQ(config.layer_precisions[0].where.str(), "cfg/model.yaml:5:3");
  EXPECT_EQ(config.layer_precisions[1].pattern, "layer4.*");
  EXPECT_EQ(config.layer_precisions[1].precision, "fp16");
  EXPECT_EQ(config.layer_precisions[1].where.str(), "cfg/model.yaml:6:3");
  EXPECT_EQ(config.tuning_cache, ".kiln-cache/timing.cache");  // relative to the config's folder, cfg/
}

TEST(BuildConfig, DeviceKeysDefaultToFp32WithoutOverridesOrCache) {
  const BuildConfig config = parse_build_config("plugins: [p]\n", kFile);
  EXPECT_EQ(config.precision, "fp32");
  EXPECT_TRUE(config.layer_precisions.empty());
  EXPECT_EQ(config.tuning_cache, "");
  EXPECT_EQ(parse_build_config("plugins: [p]\nprecision: fp32\n", kFile).precision, "fp32");
}

TEST(BuildConfig, TuningCacheIsRelativeToTheConfigsFolder) {
  const fs::path root = fs::absolute(testing::TempDir()) / "build_config_tuning";
  fs::create_directories(root / "configs");
  std::ofstream(root / "configs" / "gpu.yaml") << "plugins: [p]\ntuning: {cache: cache/timing.txt}\n";
  EXPECT_EQ(load_build_config((root / "configs" / "gpu.yaml").string()).tuning_cache,
            (root / "configs" / "cache" / "timing.txt").lexically_normal().string());
  EXPECT_EQ(parse_build_config("plugins: [p]\ntuning: {cache: /var/cache/kiln.txt}\n", kFile).tuning_cache,
            "/var/cache/kiln.txt");
}

TEST(BuildConfig, ShippedCudaConfigsLoad) {
  const std::string dir = std::string(KILN_SOURCE_DIR) + "/configs/";
  const BuildConfig fp32 = load_build_config(dir + "cuda.yaml");
  EXPECT_EQ(fp32.device, "cuda");
  EXPECT_EQ(fp32.precision, "fp32");
  const BuildConfig fp16 = load_build_config(dir + "cuda-fp16.yaml");
  EXPECT_EQ(fp16.device, "cuda");
  EXPECT_EQ(fp16.precision, "fp16");
  EXPECT_EQ(fp16.tuning_cache, (fs::path(KILN_SOURCE_DIR) / ".kiln-cache/timing.cache").lexically_normal().string());
  ASSERT_FALSE(fp16.kernels.empty());
  EXPECT_EQ(fp16.kernels.back().patterns, (std::vector<std::string>{"kiln.cuda.*", "kiln.cpu_ref.*"}));
}

TEST(BuildConfigErrors, DeviceKeysAreChecked) {
  EXPECT_EQ(error_of("plugins: [p]\nprecision: fp8\n"),
            "cfg/model.yaml:2:12: unknown precision 'fp8' for 'precision' (expected fp32, fp16 or int8) — did you mean 'fp16'?");
  EXPECT_EQ(error_of("plugins: [p]\nprecision: int4\n"),
            "cfg/model.yaml:2:12: unknown precision 'int4' for 'precision' (expected fp32, fp16 or int8) — did you "
            "mean 'int8'?");
  EXPECT_EQ(error_of("plugins: [p]\nprecision: [fp16]\n"),
            "cfg/model.yaml:2:12: 'precision' must be a single value, not a list");
  EXPECT_EQ(error_of("plugins: [p]\nlayer_precisions: {conv1: fp61}\n"),
            "cfg/model.yaml:2:27: unknown precision 'fp61' for 'layer_precisions.conv1' (expected fp32 or fp16) — "
            "did you mean 'fp16'?");
  EXPECT_EQ(error_of("plugins: [p]\nlayer_precisions: [conv1]\n"),
            "cfg/model.yaml:2:19: 'layer_precisions' must be a mapping, e.g. {\"/fc/*\": fp32}");
  EXPECT_EQ(error_of("plugins: [p]\nlayer_precisions: {conv1: fp16, conv1: fp32}\n"),
            "cfg/model.yaml:2:33: key 'conv1' appears twice in 'layer_precisions'");
  EXPECT_EQ(error_of("plugins: [p]\ntuning: {cach: t.cache}\n"),
            "cfg/model.yaml:2:10: unknown key 'cach' in 'tuning' — did you mean 'cache'?");
  EXPECT_EQ(error_of("plugins: [p]\ntuning: t.cache\n"),
            "cfg/model.yaml:2:9: 'tuning' must be a mapping, e.g. {cache: kiln-timing.cache, kernels: fastest}");
  EXPECT_EQ(error_of("plugins: [p]\ntuning: {kernels: fastset}\n"),
            "cfg/model.yaml:2:19: 'tuning.kernels' must be first or fastest, not 'fastset' — did you mean 'fastest'?");
  EXPECT_EQ(error_of("plugins: [p]\ntuning: {cache: }\n"), "cfg/model.yaml:2:10: 'cache' has no value");
  EXPECT_TRUE(parse_build_config("plugins: [p]\ntuning: {kernels: fastest}\n", kFile).time_kernels);
  EXPECT_FALSE(parse_build_config("plugins: [p]\ntuning: {kernels: first}\n", kFile).time_kernels);
  EXPECT_FALSE(parse_build_config("plugins: [p]\n", kFile).time_kernels);
  EXPECT_EQ(error_of("plugins: [p]\npresicion: fp16\n"),
            "cfg/model.yaml:2:1: unknown key 'presicion' — did you mean 'precision'?");
}

TEST(KernelNameMatches, Globs) {
  EXPECT_TRUE(kernel_name_matches("kiln.cpu_ref.Conv", "kiln.cpu_ref.Conv"));
  EXPECT_FALSE(kernel_name_matches("kiln.cpu_ref.Conv", "kiln.cpu_ref.ConvTranspose"));
  EXPECT_TRUE(kernel_name_matches("kiln.cpu_ref.*", "kiln.cpu_ref.ConvTranspose"));
  EXPECT_TRUE(kernel_name_matches("kiln.cpu_ref.*", "kiln.cpu_ref."));
  EXPECT_FALSE(kernel_name_matches("kiln.cpu_ref.*", "kiln.cpu_refX"));
  EXPECT_TRUE(kernel_name_matches("*", ""));
  EXPECT_TRUE(kernel_name_matches("*.Conv", "acme.fast.Conv"));
  EXPECT_TRUE(kernel_name_matches("a*b*c", "aXbYbZc"));  // needs backtracking past the first 'b'
  EXPECT_FALSE(kernel_name_matches("a*b*c", "aXbYbZ"));
  EXPECT_FALSE(kernel_name_matches("", "a"));
  EXPECT_TRUE(kernel_name_matches("**", "anything"));
}

TEST(KernelNameMatches, AgreesWithFnmatch) {
  std::mt19937 rng(11);
  auto random_string = [&](const std::string& letters) {
    std::string s(rng() % 9, ' ');
    for (char& c : s) c = letters[rng() % letters.size()];
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    const std::string pattern = random_string("ab.*");
    const std::string name = random_string("ab.");
    EXPECT_EQ(kernel_name_matches(pattern, name), fnmatch(pattern.c_str(), name.c_str(), 0) == 0)
        << "'" << pattern << "' vs '" << name << "'";
  }
}

const std::vector<std::string> kKnownKernels = {"kiln.cpu_ref.Conv", "kiln.cpu_ref.ConvTranspose",
                                                "kiln.cpu_ref.Relu", "kiln.cpu_ref.Gemm", "acme.conv_fast"};

TEST(ValidateKernelPreferences, AcceptsPatternsThatMatchSomething) {
  const BuildConfig config = parse_build_config(
      "plugins: [a]\nkernels:\n  Conv: [acme.conv_fast, kiln.cpu_ref.Conv*]\n  \"*\": [kiln.cpu_ref.*]\n", kFile);
  EXPECT_NO_THROW(validate_kernel_preferences(config, kKnownKernels));
}

TEST(ValidateKernelPreferences, UnknownPatternIsReportedWhereItIsWrittenWithCloseNames) {
  const BuildConfig config =
      parse_build_config("plugins: [a]\nkernels:\n  Conv: [kiln.cpu_ref.*, kiln.cpu_ref.Cnv]\n", kFile);
  try {
    validate_kernel_preferences(config, kKnownKernels);
    FAIL() << "accepted an unknown kernel name";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg/model.yaml:3:26: no loaded kernel matches 'kiln.cpu_ref.Cnv' (listed for 'Conv'); close: "
              "kiln.cpu_ref.Conv, kiln.cpu_ref.Gemm, kiln.cpu_ref.Relu; `kiln plugins --config cfg/model.yaml` "
              "lists all 5");
  }
}

TEST(ValidateKernelPreferences, SaysWhenNothingIsLoaded) {
  const BuildConfig config = parse_build_config("plugins: [a]\nkernels:\n  \"*\": [kiln.cpu_ref.*]\n", kFile);
  try {
    validate_kernel_preferences(config, {});
    FAIL() << "accepted a pattern with no kernels loaded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cfg/model.yaml:3:9: no loaded kernel matches 'kiln.cpu_ref.*' (listed for '*'); no plugin offers "
              "any kernel");
  }
}

// --- INT8: calibration and keep_fp32

TEST(BuildConfig, ReadsCalibration) {
  const BuildConfig config = parse_build_config(
      "plugins: [a]\nprecision: int8\ncalibration:\n  data: calib/\n  method: percentile\n  percentile: 99.9\n"
      "  cache: model.calib\n  max_batches: 4\nkeep_fp32: [\"fc*\", conv1]\n",
      kFile);
  EXPECT_EQ(config.precision, "int8");
  EXPECT_EQ(config.calibration.data.at(""), "cfg/calib/");
  EXPECT_EQ(config.calibration.method, "percentile");
  EXPECT_DOUBLE_EQ(config.calibration.percentile, 99.9);
  EXPECT_EQ(config.calibration.cache, "cfg/model.calib");
  EXPECT_EQ(config.calibration.max_batches, 4);
  EXPECT_EQ(config.keep_fp32, (std::vector<std::string>{"fc*", "conv1"}));
  const BuildConfig per_input = parse_build_config(
      "plugins: [a]\nprecision: int8\ncalibration: {data: {image: a/, mask: b.npy}}\n", kFile);
  EXPECT_EQ(per_input.calibration.data.at("image"), "cfg/a/");
  EXPECT_EQ(per_input.calibration.data.at("mask"), "cfg/b.npy");
  EXPECT_EQ(per_input.calibration.method, "entropy");
}

TEST(BuildConfigErrors, CalibrationMistakesNameTheLine) {
  EXPECT_EQ(error_of("plugins: [a]\nprecision: int8\n"),
            "cfg/model.yaml:2:12: precision int8 needs a 'calibration' section with the data to calibrate on or a "
            "calibration cache, e.g. calibration: {data: calibration/, cache: model.calib}");
  EXPECT_EQ(error_of("plugins: [a]\ncalibration: {data: x}\n"),
            "cfg/model.yaml:2:14: 'calibration' is read only with precision: int8 (precision is fp32)");
  EXPECT_EQ(error_of("plugins: [a]\nprecision: int8\ncalibration: {data: x, method: entropie}\n"),
            "cfg/model.yaml:3:32: unknown calibration method 'entropie' (expected minmax, entropy or percentile) — "
            "did you mean 'entropy'?");
  EXPECT_EQ(error_of("plugins: [a]\nprecision: int8\ncalibration: {data: x, percentile: 101}\n"),
            "cfg/model.yaml:3:36: 'calibration.percentile' must be in (0, 100], not 101");
  EXPECT_EQ(error_of("plugins: [a]\nprecision: int8\ncalibration: {method: minmax}\n"),
            "cfg/model.yaml:3:14: 'calibration' needs 'data' (a .npy file or folder of them), a 'cache' file, or both");
  EXPECT_EQ(error_of("plugins: [a]\nprecision: int8\ncalibration: {data: x, batches: 3}\n"),
            "cfg/model.yaml:3:24: unknown key 'batches' in 'calibration'");
  EXPECT_EQ(error_of("plugins: [a]\nkeep_fp32: [fc]\n"),
            "cfg/model.yaml:2:12: 'keep_fp32' is read only with precision: int8 (precision is fp32)");
}

// --- Typo help

TEST(Spelling, EditDistanceIgnoresCase) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("CPU", "cpu"), 0u);
  EXPECT_EQ(did_you_mean("plugin", {"version", "plugins"}), " — did you mean 'plugins'?");
  EXPECT_EQ(did_you_mean("tuning", {"version", "device", "plugins"}), "");
  EXPECT_EQ(closest_names("Relu", {"c.Relu6", "b.Relu", "a.Relu"}, 2), (std::vector<std::string>{"a.Relu", "b.Relu"}));
}

}  // namespace
}  // namespace kiln
