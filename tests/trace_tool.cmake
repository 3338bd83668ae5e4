# SPDX-License-Identifier: MIT
# weft-trace tests (labels "unit" and "tools"), included by
# tests/CMakeLists.txt; the checks are in tests/tools/check_trace_tool.sh
# (POSIX sh and awk, no Python):
#   trace_tool_summary    a real traced fib(15) on 2 workers: 987 tasks, the
#                         pool's own steal and per-worker task counts, a
#                         well-formed SVG with task rectangles in each lane
#   trace_tool_synthetic  a hand-written trace: every summary number
#   trace_tool_malformed  broken traces exit 2 with the right message;
#                         truncated and garbled copies never crash
# traced_fib is the traced program (tests/tools/traced_fib.c).
if(NOT EXISTS ${PROJECT_SOURCE_DIR}/tools/CMakeLists.txt)
  return()
endif()

add_executable(traced_fib ${CMAKE_CURRENT_SOURCE_DIR}/tools/traced_fib.c)
target_compile_options(traced_fib PRIVATE ${WEFT_WARNINGS})
target_link_libraries(traced_fib PRIVATE weft_static Threads::Threads)

find_program(WEFT_TEST_SH NAMES sh dash bash REQUIRED)
foreach(mode summary synthetic malformed)
  add_test(NAME trace_tool_${mode}
           COMMAND ${WEFT_TEST_SH}
                   ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_trace_tool.sh
                   ${mode} $<TARGET_FILE:weft-trace> $<TARGET_FILE:traced_fib>
                   ${CMAKE_CURRENT_BINARY_DIR}/trace_tool/${mode})
  set_tests_properties(trace_tool_${mode} PROPERTIES LABELS "unit;tools")
endforeach()
