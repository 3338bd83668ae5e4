# SPDX-License-Identifier: MIT
# The soak runner (tests/README.md "Soak"): one process, every workload at
# once. Not in the normal test set: its test exists only in the ctest
# configuration "soak" (ctest -C soak -L soak); make soak runs it directly.
add_executable(soak ${CMAKE_CURRENT_SOURCE_DIR}/soak/soak.c
               ${CMAKE_CURRENT_SOURCE_DIR}/soak/soak_pool.c
               ${CMAKE_CURRENT_SOURCE_DIR}/soak/soak_data.c)
target_include_directories(soak PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/common)
target_compile_options(soak PRIVATE ${WEFT_WARNINGS})
target_link_libraries(soak PRIVATE weft_static Threads::Threads)
add_test(NAME soak COMMAND soak 60 CONFIGURATIONS soak)
set_tests_properties(soak PROPERTIES LABELS soak TIMEOUT 900)

# Everything the chaos and stress runs need, and nothing else.
file(GLOB _weft_stress_srcs CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/stress/stress_*.c)
set(_weft_stress_targets)
foreach(src ${_weft_stress_srcs})
  get_filename_component(name ${src} NAME_WE)
  list(APPEND _weft_stress_targets ${name})
endforeach()
add_custom_target(stress_all DEPENDS ${_weft_stress_targets})
