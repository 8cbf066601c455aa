# Install-time packaging for plugin authors: the CMake package (lib/cmake/hetrun: hetrun::plugin_api
# and hetrun_add_plugin) and pkg-config's hetrun-plugin.pc. The headers themselves are installed by
# plugin_api/CMakeLists.txt, which also puts hetrun_plugin_api into the hetrunTargets export set.
include(CMakePackageConfigHelpers)

set(HETRUN_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/hetrun/plugins)
set(HETRUN_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/hetrun)

install(EXPORT hetrunTargets NAMESPACE hetrun:: DESTINATION ${HETRUN_CMAKE_INSTALL_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/hetrunConfig.cmake.in
  ${CMAKE_BINARY_DIR}/packaging/hetrunConfig.cmake
  INSTALL_DESTINATION ${HETRUN_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR HETRUN_PLUGIN_INSTALL_DIR)
# A request for version X.Y is met by any hetrun X.Z with Z >= Y (the plugin ABI has its own check:
# hetrun_plugin_query gets the host's ABI version at load time). Not architecture-independent: the
# package also exports libhetrun.so (hetrun::hetrun).
write_basic_package_version_file(${CMAKE_BINARY_DIR}/packaging/hetrunConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES
  ${CMAKE_BINARY_DIR}/packaging/hetrunConfig.cmake
  ${CMAKE_BINARY_DIR}/packaging/hetrunConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/HetrunPluginHelpers.cmake
  DESTINATION ${HETRUN_CMAKE_INSTALL_DIR})

# pkg-config, relocatable: the prefix is found from the .pc file's own place.
file(RELATIVE_PATH HETRUN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" HETRUN_PC_TO_PREFIX "${HETRUN_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/hetrun-plugin.pc.in
  ${CMAKE_BINARY_DIR}/packaging/hetrun-plugin.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/hetrun-plugin.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# hetrun.pc for applications (-lhetrun): only when libhetrun.so is built (it needs PIC).
if(TARGET hetrun_c_api)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/hetrun.pc.in ${CMAKE_BINARY_DIR}/packaging/hetrun.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/packaging/hetrun.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT api)
endif()
