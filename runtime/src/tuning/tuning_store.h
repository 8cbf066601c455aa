// What `hetrun tune` measured on one device, kept in one text file per device identity (plugin
// name, version, ABI and build; device name; threads) under CACHE_DIR/tuning/, so measurements
// are reused by every model and session on that device and never by another build or device.
// Node costs are keyed by NodeKey (node_key.h): op, attributes and input shapes, not the model.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "hetrun/runtime/device.h"
#include "hetrun/status.h"

namespace hetrun::runtime::tuning {

inline constexpr int kTuningFormatVersion = 2;

struct LinkTiming {
  double latency_us = 0;  // per copy, host <-> device (the mean of write and read)
  double gbps = 0;        // bandwidth, host <-> device
};

struct NodeCost {
  double cost_us = 0;  // median time of execute to event, the device's per-part overhead taken off
  int runs = 0;        // timed runs behind the median
  std::string label;   // "Conv 1x64x56x56" (for people reading the file)
  // Whether the node's tunable parameters were searched (tune without --no-search), and the values
  // chosen: every tunable of the node, defaults included; empty when it has none on this device.
  // Sessions compile the node with them when they beat the defaults.
  bool searched = false;
  NodeTuning tuning;
  // The search's figures (device time where the plugin reports it, else as cost_us; 0 when not
  // searched): the defaults' time and the chosen values' time.
  double default_us = 0, tuned_us = 0;
};

struct DeviceTuning {
  std::string identity;                    // DeviceIdentity(): the file's first line checks it
  std::optional<double> part_overhead_us;  // submitting one part and waiting for its event
  std::optional<LinkTiming> link;
  std::map<std::string, NodeCost> nodes;  // by NodeKey
};

// "cpu | plugin cpu 0.1.0 abi 1.1 file <size:mtime:inode> | device AMD EPYC ... | threads 2".
std::string DeviceIdentity(const Device& device, uint32_t threads);

// CACHE_DIR/tuning/<hash of the identity>.tsv
std::filesystem::path TuningFile(const std::string& cache_dir, const std::string& identity);

// Reads a device's measurements: nullopt when the file does not exist. A file that is damaged,
// of another format version or of another identity (a hash collision) is an error naming it.
Result<std::optional<DeviceTuning>> LoadTuning(const std::filesystem::path& file,
                                               const std::string& identity);

// Writes atomically (a temporary file renamed over the old one): a reader never sees half a file,
// and an interrupted `hetrun tune` keeps the last complete save.
Status SaveTuning(const std::filesystem::path& file, const DeviceTuning& tuning);

}  // namespace hetrun::runtime::tuning
