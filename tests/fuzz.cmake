# SPDX-License-Identifier: MIT
# Fuzz harnesses (tests/fuzz/fuzz_<target>.c), included by
# tests/CMakeLists.txt. Each defines LLVMFuzzerTestOneInput and keeps its
# corpus in tests/fuzz/corpus/<target>/ (tests/README.md, "Fuzzing").
#  - WEFT_FUZZ=ON (preset fuzz, clang): fuzz_<target> links libFuzzer's
#    main; tests/fuzz.sh runs them. No ctest: fuzzing is time-bound.
#  - every other build: fuzz_<target>_replay links tests/fuzz/replay.c and
#    ctest "fuzz_<target>" (label fuzz-replay) replays the committed
#    corpus, so gcc, ASan and TSan builds check every corpus input too.
set(WEFT_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
file(GLOB WEFT_FUZZ_HARNESSES CONFIGURE_DEPENDS ${WEFT_FUZZ_DIR}/fuzz_*.c)

foreach(src ${WEFT_FUZZ_HARNESSES})
  get_filename_component(name ${src} NAME_WE)
  if(WEFT_FUZZ)
    set(exe ${name})
    add_executable(${exe} ${src})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
  else()
    set(exe ${name}_replay)
    add_executable(${exe} ${src} ${WEFT_FUZZ_DIR}/replay.c)
  endif()
  target_compile_options(${exe} PRIVATE ${WEFT_WARNINGS})
  target_link_libraries(${exe} PRIVATE weft_static Threads::Threads)
  if(NOT WEFT_FUZZ)
    string(REGEX REPLACE "^fuzz_" "" target ${name})
    add_test(NAME ${name}
             COMMAND ${exe} ${WEFT_FUZZ_DIR}/corpus/${target})
    set_tests_properties(${name} PROPERTIES LABELS fuzz-replay)
  endif()
endforeach()
