/* One source, several deliberately broken plugins (selected by a BROKEN_* define), for the loader
 * tests. BROKEN_NONE is a minimal valid plugin with zero devices. */
#include <stddef.h>

#include "hetrun/plugin.h"

static const hetrun_host_services* g_host;

static hetrun_status_t Init(const hetrun_host_services* host, void** out_self) {
  g_host = host;
#ifdef BROKEN_INIT_FAILS
  (void)out_self;
  return host->status_create(HETRUN_STATUS_UNAVAILABLE, "simulated driver failure");
#else
  *out_self = NULL;
  return NULL;
#endif
}
static void Shutdown(void* self) { (void)self; }
static hetrun_status_t DeviceCount(void* self, uint32_t* out) {
  (void)self;
  *out = 0;
  return NULL;
}
static const char* Reason(void* self) {
  (void)self;
  return "test plugin without hardware";
}
static hetrun_status_t Unsupported(void) {
  return g_host->status_create(HETRUN_STATUS_UNIMPLEMENTED, "test plugin");
}
static hetrun_status_t DeviceInfo(void* s, uint32_t i, hetrun_device_info* o) { (void)s, (void)i, (void)o; return Unsupported(); }
static hetrun_status_t DeviceOpen(void* s, uint32_t i, const hetrun_device_options* o, hetrun_device_t* d) { (void)s, (void)i, (void)o, (void)d; return Unsupported(); }
static void DeviceClose(hetrun_device_t d) { (void)d; }
static hetrun_status_t Query(hetrun_device_t d, const hetrun_graph_view* g, hetrun_node_support* s) { (void)d, (void)g, (void)s; return Unsupported(); }
static hetrun_status_t Compile(hetrun_device_t d, const hetrun_graph_view* g, hetrun_executable_t* e) { (void)d, (void)g, (void)e; return Unsupported(); }
static void ExeRelease(hetrun_executable_t e) { (void)e; }
static hetrun_status_t Alloc(hetrun_device_t d, uint64_t b, hetrun_buffer_t* o) { (void)d, (void)b, (void)o; return Unsupported(); }
static void BufRelease(hetrun_device_t d, hetrun_buffer_t b) { (void)d, (void)b; }
static hetrun_status_t Write(hetrun_device_t d, hetrun_buffer_t b, uint64_t o, const void* s, uint64_t n) { (void)d, (void)b, (void)o, (void)s, (void)n; return Unsupported(); }
static hetrun_status_t Read(hetrun_device_t d, hetrun_buffer_t b, uint64_t o, void* s, uint64_t n) { (void)d, (void)b, (void)o, (void)s, (void)n; return Unsupported(); }
static hetrun_status_t Execute(hetrun_executable_t e, const hetrun_tensor_arg* i, uint32_t ni, hetrun_tensor_arg* o, uint32_t no, const hetrun_event_t* w, uint32_t nw, hetrun_event_t* ev) { (void)e, (void)i, (void)ni, (void)o, (void)no, (void)w, (void)nw, (void)ev; return Unsupported(); }
static hetrun_status_t Wait(hetrun_device_t d, hetrun_event_t e, uint64_t t) { (void)d, (void)e, (void)t; return Unsupported(); }
static hetrun_status_t QueryEvent(hetrun_device_t d, hetrun_event_t e, uint8_t* o) { (void)d, (void)e, (void)o; return Unsupported(); }
static void EventRelease(hetrun_device_t d, hetrun_event_t e) { (void)d, (void)e; }

#ifdef BROKEN_UNDEFINED_SYMBOL
extern int hetrun_symbol_that_does_not_exist(void);
#endif

static hetrun_plugin_v1 g_table = {
    sizeof(hetrun_plugin_v1), HETRUN_ABI_MAJOR, HETRUN_ABI_MINOR,
#ifdef BROKEN_MISNAMED
    "somebody_else",
#elif defined(BROKEN_INIT_FAILS)
    "init_fails",
#else
    "good_minimal",
#endif
    "0.0.1", 0, 0, Init, Shutdown, DeviceCount, Reason, DeviceInfo, DeviceOpen, DeviceClose, Query,
    Compile, ExeRelease, Alloc, BufRelease, Write, Read, NULL, Execute, Wait, QueryEvent, EventRelease};

#ifndef BROKEN_NO_ENTRY
HETRUN_PLUGIN_EXPORT const hetrun_plugin_v1* hetrun_plugin_query(uint32_t major, uint32_t minor) {
  (void)minor;
#ifdef BROKEN_UNDEFINED_SYMBOL
  if (hetrun_symbol_that_does_not_exist()) return NULL;
#endif
#ifdef BROKEN_DECLINES
  (void)major;
  return NULL;
#else
  if (major != HETRUN_ABI_MAJOR) return NULL;
#ifdef BROKEN_FUTURE_ABI
  g_table.abi_major = 2;
#endif
#ifdef BROKEN_MISSING_SLOT
  g_table.execute = NULL;
#endif
  return &g_table;
#endif
}
#endif
