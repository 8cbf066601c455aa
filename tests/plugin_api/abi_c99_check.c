/* Compiled as strict C99 with -Wpedantic -Werror: the plugin ABI header is plain C. */
#include "hetrun/plugin.h"

int hetrun_abi_c99_check_size(void) { return (int)sizeof(hetrun_plugin_v1); }
