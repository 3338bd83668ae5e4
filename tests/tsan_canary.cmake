# SPDX-License-Identifier: MIT
# Sanitizer canaries, included by tests/CMakeLists.txt (label "canary").
# A sanitizer run that reports nothing proves something only if it could
# have reported: each canary is a deliberate bug that must be caught under
# the preset's exact options (TSAN_OPTIONS with tsan/suppressions.txt,
# ASAN_OPTIONS, UBSAN_OPTIONS), next to a clean twin that must pass, so the
# options are neither blind nor noisy. tests/canary/expect.cmake checks
# both the exit status and the report text.
#   WEFT_SANITIZE has thread:  canary_tsan_race    two threads, one plain int
#                              canary_tsan_ring_late  payload written after
#                                 a ck_ring enqueue (our race, behind ck)
#   WEFT_SANITIZE has address: canary_asan_uaf     heap-use-after-free
#                              canary_asan_leak    a lost block (LSan)
#                              canary_asan_future_*  the same for a weft
#                                 future (its cache is off under ASan)
#   ... and undefined:         canary_ubsan_overflow  signed overflow
set(WEFT_CANARY_DIR ${CMAKE_CURRENT_SOURCE_DIR}/canary)

# weft_canary(<name> <source> <report regex or ""> [RUNTIME] [DEFINES d...])
# RUNTIME: the canary uses weft's private headers and links weft_static.
function(weft_canary name src report)
  cmake_parse_arguments(C "RUNTIME" "" "DEFINES" ${ARGN})
  add_executable(${name} ${WEFT_CANARY_DIR}/${src})
  target_compile_options(${name} PRIVATE ${WEFT_WARNINGS})
  target_compile_definitions(${name} PRIVATE ${C_DEFINES})
  target_link_libraries(${name} PRIVATE Threads::Threads)
  if(C_RUNTIME)
    target_include_directories(${name} PRIVATE
      ${PROJECT_SOURCE_DIR}/runtime ${CK_INCLUDE_DIR})
    target_link_libraries(${name} PRIVATE weft_static)
  endif()
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -DPROG=$<TARGET_FILE:${name}>
                   "-DREPORT=${report}" -P ${WEFT_CANARY_DIR}/expect.cmake)
  set_tests_properties(${name} PROPERTIES LABELS canary)
endfunction()

if("thread" IN_LIST WEFT_SANITIZE)
  weft_canary(canary_tsan_race racy.c "WARNING: ThreadSanitizer: data race")
  weft_canary(canary_tsan_clean racy.c "" DEFINES CANARY_CLEAN)
  weft_canary(canary_tsan_ring_late ring.c "WARNING: ThreadSanitizer: data race"
              RUNTIME DEFINES CANARY_LATE)
  weft_canary(canary_tsan_ring_clean ring.c "" RUNTIME)
endif()

if("address" IN_LIST WEFT_SANITIZE)
  weft_canary(canary_asan_uaf heap.c
              "ERROR: AddressSanitizer: heap-use-after-free" DEFINES CANARY_UAF)
  weft_canary(canary_asan_leak heap.c
              "ERROR: LeakSanitizer: detected memory leaks" DEFINES CANARY_LEAK)
  weft_canary(canary_asan_clean heap.c "")
  # weft's futures (runtime/fcache.c): a use after the last release and a
  # future never released are caught as for any heap block.
  weft_canary(canary_asan_future_uaf future.c
              "ERROR: AddressSanitizer: heap-use-after-free" RUNTIME
              DEFINES CANARY_UAF)
  weft_canary(canary_asan_future_leak future.c
              "ERROR: LeakSanitizer: detected memory leaks" RUNTIME
              DEFINES CANARY_LEAK)
  weft_canary(canary_asan_future_clean future.c "" RUNTIME)
endif()

if("undefined" IN_LIST WEFT_SANITIZE)
  weft_canary(canary_ubsan_overflow ub.c "runtime error: signed integer overflow")
  weft_canary(canary_ubsan_clean ub.c "" DEFINES CANARY_CLEAN)
endif()
