# SPDX-License-Identifier: MIT
# cmake -DPROG=<exe> [-DREPORT=<regex>] -P expect.cmake
# Runs one sanitizer canary (tests/tsan_canary.cmake) in the environment
# ctest gives it (the preset's TSAN_OPTIONS / ASAN_OPTIONS / UBSAN_OPTIONS).
#  - with REPORT: the program must exit non-zero AND print a report matching
#    REPORT: the sanitizer sees the bug and the run fails, as a real test
#    with that bug would;
#  - without REPORT (clean twin): it must exit 0 and print no sanitizer
#    report at all.
if(NOT PROG)
  message(FATAL_ERROR "usage: cmake -DPROG=<exe> [-DREPORT=<regex>] -P ...")
endif()
execute_process(COMMAND ${PROG} RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
message("${PROG}: exit status ${rc}")
if(REPORT)
  if(rc EQUAL 0)
    message(FATAL_ERROR "canary exited 0: a run with this bug would pass")
  endif()
  if(NOT "${out}${err}" MATCHES "${REPORT}")
    message(FATAL_ERROR "canary failed without the expected report: ${REPORT}")
  endif()
  message(STATUS "caught as expected: ${REPORT}")
else()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "clean twin failed")
  endif()
  if("${out}${err}" MATCHES "Sanitizer|runtime error")
    message(FATAL_ERROR "clean twin produced a sanitizer report")
  endif()
  message(STATUS "clean twin ran clean")
endif()
