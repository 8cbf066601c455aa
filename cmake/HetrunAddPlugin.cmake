# hetrun_add_plugin(NAME <name> SOURCES ... [LIBS ...])
# Builds libhetrun_plugin_<name>.so as a MODULE that sees only the plugin ABI: hidden visibility,
# static dependencies kept private (--exclude-libs), no undefined symbols, one exported entry symbol.
# It lands in lib/hetrun/plugins/ of the build tree and of the install tree.
function(hetrun_add_plugin)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS" ${ARGN})
  set(target hetrun_plugin_${ARG_NAME})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${HETRUN_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE hetrun::plugin_api ${ARG_LIBS})
  target_link_options(${target} PRIVATE "LINKER:--exclude-libs,ALL")
  if(NOT HETRUN_SANITIZE)  # the sanitizer runtime lives in the executable
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  hetrun_target_warnings(${target})
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/hetrun/plugins)
endfunction()
