#include "tuning/tuning_store.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "cache/content_hash.h"
#include "cache/plan_cache.h"
#include "cache/session_cache_key.h"
#include "tuning/tsv_file.h"

namespace hetrun::runtime::tuning {
namespace {

namespace fs = std::filesystem;

constexpr const char* kMagic = "hetrun-tuning";

}  // namespace

std::string DeviceIdentity(const Device& device, uint32_t threads) {
  return device.display_name() + " | " + PluginBuildIdentity(device) + " | device " +
         device.properties().name + " | threads " + std::to_string(threads);
}

fs::path TuningFile(const std::string& cache_dir, const std::string& identity) {
  return fs::path(cache_dir) / "tuning" / (cache::HashHex(cache::ContentHash64(identity)) + ".tsv");
}

Result<std::optional<DeviceTuning>> LoadTuning(const fs::path& file, const std::string& identity) {
  TsvReader in(file, "tuning file");
  if (in.missing()) return std::optional<DeviceTuning>();
  HETRUN_RETURN_IF_ERROR(in.open_status());
  DeviceTuning tuning;
  while (in.Next()) {
    const size_t number = in.number();
    const std::vector<std::string>& f = in.fields();
    const std::string& line = in.line();
    if (number == 1) {
      if (f.size() != 3 || f[0] != kMagic) return in.Damaged("not a hetrun tuning file");
      if (f[1] != std::to_string(kTuningFormatVersion))
        return in.Damaged("format version " + f[1] + ", this hetrun reads " +
                          std::to_string(kTuningFormatVersion));
      if (f[2] != identity) return in.Damaged("measured on another device: " + f[2]);
      tuning.identity = f[2];
      continue;
    }
    if (f[0] == "node" && f.size() == 8) {
      const std::optional<double> cost = ParseCost(f[2]);
      const std::optional<double> runs = ParseCost(f[3]);
      const std::optional<double> default_us = ParseCost(f[5]), tuned_us = ParseCost(f[6]);
      std::optional<NodeTuning> values = NodeTuning();
      if (f[4] != "-" && f[4] != "=") values = ParseNodeTuning(f[4]);
      if (!values) return in.Damaged("bad tuned values '" + f[4].substr(0, 40) + "'");
      if (!cost || !runs || !default_us || !tuned_us || f[1].size() != 16)
        return in.Damaged("bad node line");
      tuning.nodes[f[1]] = {*cost,       static_cast<int>(*runs), f[7],
                            f[4] != "-", std::move(*values),      *default_us,
                            *tuned_us};
    } else if (f[0] == "part_overhead_us" && f.size() == 2) {
      tuning.part_overhead_us = ParseCost(f[1]);
      if (!tuning.part_overhead_us) return in.Damaged("bad part overhead");
    } else if (f[0] == "link" && f.size() == 3) {
      const std::optional<double> latency = ParseCost(f[1]), gbps = ParseCost(f[2]);
      if (!latency || !gbps || *gbps <= 0) return in.Damaged("bad link line");
      tuning.link = LinkTiming{*latency, *gbps};
    } else {
      return in.Damaged("unknown line '" + line.substr(0, 40) + "'");
    }
  }
  if (in.number() == 0) return in.Damaged("empty file");
  return std::optional<DeviceTuning>(std::move(tuning));
}

Status SaveTuning(const fs::path& file, const DeviceTuning& tuning) {
  std::ostringstream text;
  text << kMagic << '\t' << kTuningFormatVersion << '\t' << tuning.identity << '\n';
  if (tuning.part_overhead_us)
    text << "part_overhead_us\t" << Number(*tuning.part_overhead_us) << '\n';
  if (tuning.link)
    text << "link\t" << Number(tuning.link->latency_us) << '\t' << Number(tuning.link->gbps)
         << '\n';
  // node KEY COST RUNS TUNING DEFAULT_US TUNED_US LABEL; TUNING is the chosen values, "-" when
  // not searched, "=" when searched but the node has no tunables.
  for (const auto& [key, node] : tuning.nodes) {
    std::string values = "-";
    if (node.searched) values = node.tuning.empty() ? "=" : FormatNodeTuning(node.tuning);
    text << "node\t" << key << '\t' << Number(node.cost_us) << '\t' << node.runs << '\t' << values
         << '\t' << Number(node.default_us) << '\t' << Number(node.tuned_us) << '\t' << node.label
         << '\n';
  }
  return WriteFileAtomically(file, text.str());
}

}  // namespace hetrun::runtime::tuning
