# Kernel-level tests of the CPU plugin (included from this directory's CMakeLists.txt): each op's
# kernel is created through CreateKernel from a hand-built graph view and run on a thread pool,
# linked in directly with the plugin's runtime pieces (thread pool, LLVM JIT).
file(GLOB HETRUN_CPU_KERNEL_TEST_KERNELS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/plugins/cpu/src/kernels/*.cpp)
hetrun_add_test(NAME cpu_kernels_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/kernel_harness.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_linalg_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_nn_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_shape_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_resample_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_select_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_recurrent_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_signal_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_control_flow_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_sequence_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_text_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_string_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/kernels_rowwise_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gemm_epilogue_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/depthwise_conv_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/max_pool_columns_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/graph_builder.cpp
    ${PROJECT_SOURCE_DIR}/plugins/cpu/src/kernel_registry.cpp
    ${HETRUN_CPU_KERNEL_TEST_KERNELS}
  LIBS hetrun_cpu_runtime hetrun::core  # core: the host side of the packed-layout round trip
  LABELS unit)
target_include_directories(cpu_kernels_test PRIVATE ${PROJECT_SOURCE_DIR}/plugins/cpu/src)

# The GEMM-based tests once more with each narrower micro-kernel forced, so every instruction-set
# path is checked on a machine that has the widest.
foreach(isa avx2 generic)
  gtest_discover_tests(cpu_kernels_test TEST_PREFIX "${isa}." TEST_FILTER "Gemm*:MatMul*:Conv*"
                       DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS unit ENVIRONMENT HETRUN_CPU_GEMM_ISA=${isa})
endforeach()
