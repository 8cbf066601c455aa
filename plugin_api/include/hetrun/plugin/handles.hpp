// How the framework's opaque ABI handles are laid out (an implementation detail of framework.hpp; a
// plugin never touches these). Every handle starts with a header: a tag distinct per handle kind,
// zeroed on release, and the identity of the plugin library that made it. So a NULL handle, a
// released one, one of another kind, or one from another plugin built on this framework is refused
// with INVALID_ARGUMENT instead of being used. Handles hold std::shared_ptr to the objects, so work
// in flight keeps what it uses alive even when the host releases a handle early.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hetrun/plugin.h"
#include "hetrun/plugin.hpp"

namespace hetrun::plugin {

class Buffer;
class Device;
class Event;
class Executable;

namespace detail {

// Per plugin library: its name (set when the host first queries the table) and, by its address,
// its identity in handles. Hidden whatever the plugin's visibility flags, so every library has its
// own copy even when two plugins built on this framework share a process.
struct LibraryState {
  const char* name = nullptr;
};
HETRUN_PLUGIN_HIDDEN inline LibraryState library_state;

inline const void* LibraryIdentity() {
  return &library_state;
}

// "the cpu plugin" in messages; "this plugin" before the table has been queried (unit tests).
inline std::string PluginLabel() {
  const char* name = library_state.name;
  return name ? std::string("the ") + name + " plugin" : std::string("this plugin");
}

// "HPDV", "HPBF", "HPEX", "HPEV" (little-endian).
enum class HandleTag : uint32_t {
  kReleased = 0,
  kDevice = 0x56445048,
  kBuffer = 0x46425048,
  kExecutable = 0x58455048,
  kEvent = 0x56455048,
};

inline const char* HandleKindName(HandleTag tag) {
  switch (tag) {
    case HandleTag::kDevice: return "device";
    case HandleTag::kBuffer: return "buffer";
    case HandleTag::kExecutable: return "executable";
    case HandleTag::kEvent: return "event";
    default: return "handle";
  }
}

struct HandleHeader {
  HandleTag tag;
  uint32_t reserved;
  const void* library;
};

// What compile() saw of one input or output of the part, to check execute()'s arguments against.
struct ArgSpec {
  std::string name;
  hetrun_dtype_t dtype = HETRUN_DTYPE_UNDEFINED;
  int32_t rank = -1;          // -1: unknown
  std::vector<int64_t> dims;  // -1: known only at run time
};

struct DeviceHandle {
  HandleHeader header{HandleTag::kDevice, 0, LibraryIdentity()};
  std::shared_ptr<Device> device;
};

struct BufferHandle {
  HandleHeader header{HandleTag::kBuffer, 0, LibraryIdentity()};
  std::shared_ptr<Buffer> buffer;
  std::shared_ptr<Device> device;  // the device it was allocated on
};

struct ExecutableHandle {
  HandleHeader header{HandleTag::kExecutable, 0, LibraryIdentity()};
  std::shared_ptr<Executable> executable;
  std::shared_ptr<Device> device;  // the device it was compiled for
  std::vector<ArgSpec> inputs;
  std::vector<ArgSpec> outputs;
};

struct EventHandle {
  HandleHeader header{HandleTag::kEvent, 0, LibraryIdentity()};
  std::shared_ptr<Event> event;
};

// Whether `handle` is a live handle of this library with tag `expected`. Reads the header through
// memcpy: a foreign handle is someone else's struct, never to be accessed as ours.
inline bool IsLive(const void* handle, HandleTag expected) {
  if (!handle) return false;
  HandleHeader header;
  std::memcpy(&header, handle, sizeof header);
  return header.tag == expected && header.library == LibraryIdentity();
}

// The handle behind `raw`, or Error(INVALID_ARGUMENT) naming `what`.
template <typename Handle, typename Raw>
Handle& Unwrap(Raw* raw, HandleTag expected, const std::string& what) {
  if (!raw) throw Error(HETRUN_STATUS_INVALID_ARGUMENT, what + " is NULL");
  if (!IsLive(raw, expected)) {
    throw Error(HETRUN_STATUS_INVALID_ARGUMENT,
                what + " is not a live " + HandleKindName(expected) + " of " + PluginLabel() +
                    " (released, of another kind or another plugin's)");
  }
  return *reinterpret_cast<Handle*>(raw);
}

// Deletes a live handle after zeroing its tag; NULL or anything else is left alone (release of an
// unknown handle is a no-op, as the ABI's *_release functions promise not to fail).
template <typename Handle, typename Raw>
void Release(Raw* raw, HandleTag expected) {
  if (!IsLive(raw, expected)) return;
  Handle* handle = reinterpret_cast<Handle*>(raw);
  handle->header.tag = HandleTag::kReleased;
  delete handle;
}

template <typename Raw, typename Handle>
Raw ToRaw(Handle* handle) {
  return reinterpret_cast<Raw>(handle);
}

}  // namespace detail
}  // namespace hetrun::plugin
