# SPDX-License-Identifier: MIT
# Allocation-failure injection (label "faults"; tests/README.md, "Faults and
# bad input"). weft_fault is the runtime rebuilt with -DWEFT_FAULT_INJECT
# (runtime/fault.h): every weft__malloc/calloc/aligned_alloc site can be
# failed in turn. The normal library is untouched. test_alloc_faults walks
# each public API scenario failing allocation k = 1, 2, ... and runs in
# every preset (LSan finds leaks on the error paths under asan).
add_library(weft_fault STATIC ${WEFT_RUNTIME_SOURCES})
target_include_directories(weft_fault
  PUBLIC ${PROJECT_SOURCE_DIR}/include
  PRIVATE ${PROJECT_SOURCE_DIR}/runtime ${CK_INCLUDE_DIR})
target_compile_options(weft_fault PRIVATE ${WEFT_WARNINGS})
target_compile_definitions(weft_fault PRIVATE WEFT_BUILDING=1
                           WEFT_FAULT_INJECT=1)
target_link_libraries(weft_fault PUBLIC ${CK_LIBRARY} PkgConfig::URCU
                      Threads::Threads)

add_executable(test_alloc_faults
               ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_alloc_faults.c)
target_include_directories(test_alloc_faults PRIVATE
  ${PROJECT_SOURCE_DIR}/runtime ${CMAKE_CURRENT_SOURCE_DIR}/common)
target_compile_options(test_alloc_faults PRIVATE ${WEFT_WARNINGS}
                       -Wno-missing-prototypes)
target_link_libraries(test_alloc_faults PRIVATE weft_fault Threads::Threads)
add_test(NAME test_alloc_faults COMMAND test_alloc_faults)
# About 250 child processes: about 16 s of CPU under tsan or asan, but 230 s of
# wall time on a loaded 2-core box, close to the presets' 300 s timeout.
set_tests_properties(test_alloc_faults PROPERTIES LABELS "unit;faults"
                     TIMEOUT 600)
