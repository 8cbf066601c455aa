# hetrun_add_plugin(NAME <name> SOURCES ... [LIBS ...] [OUTPUT_DIRECTORY <dir>] [NO_INSTALL])
# Installed with hetrun's CMake package for out-of-tree plugins. Builds libhetrun_plugin_<name>.so,
# the file name the host looks for, as a MODULE that exports only hetrun_plugin_query: hidden
# visibility (two plugins never share a symbol: each keeps its own framework state), static
# dependencies kept private, no undefined symbols (a missing one fails the build, not the load).
# The library lands in OUTPUT_DIRECTORY (default: the current build directory, so
# `hetrun --plugin-path <build dir>` finds it) and installs to <prefix>/lib/hetrun/plugins, where a
# hetrun installed in the same prefix finds it by itself.
function(hetrun_add_plugin)
  cmake_parse_arguments(ARG "NO_INSTALL" "NAME;OUTPUT_DIRECTORY" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_NAME MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "hetrun_add_plugin: NAME '${ARG_NAME}' must match [a-z0-9_]+ "
                        "(it is the device name users type)")
  endif()
  if(NOT ARG_OUTPUT_DIRECTORY)
    set(ARG_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  set(target hetrun_plugin_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME hetrun_plugin_${ARG_NAME}
    SUFFIX ".so"
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_compile_features(${target} PRIVATE cxx_std_17)  # framework.hpp needs C++17
  target_link_libraries(${target} PRIVATE hetrun::plugin_api ${ARG_LIBS})
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(${target} PRIVATE "LINKER:--exclude-libs,ALL" "LINKER:--no-undefined")
  endif()
  if(NOT ARG_NO_INSTALL)
    include(GNUInstallDirs)
    install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/hetrun/plugins)
  endif()
endfunction()
