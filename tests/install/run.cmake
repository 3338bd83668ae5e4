# SPDX-License-Identifier: MIT
# cmake -P run.cmake: install the build tree BUILD into a fresh prefix
# under WORK, then build EXAMPLE against the installed copy with
# pkg-config (shared and static) and with find_package(weft CONFIG)
# (weft::weft and weft::weft_static), and run each program.
# Inputs (-D): BUILD, WORK, EXAMPLE, SOURCE (tests/install), CC, CFLAGS
# (sanitizer flags, may be empty), CONFIG (build type).
cmake_minimum_required(VERSION 3.21)
foreach(v BUILD WORK EXAMPLE SOURCE CC)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${v}=... is required")
  endif()
endforeach()
separate_arguments(cflags UNIX_COMMAND "${CFLAGS}")
set(prefix ${WORK}/prefix)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix})
foreach(f include/weft.h include/weft/pool.h lib/pkgconfig/weft.pc
        lib/cmake/weft/weftConfig.cmake
        lib/cmake/weft/weftConfigVersion.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${prefix}/${f}")
  endif()
endforeach()

# The installed shared library, not the build tree's, must be the one
# found at run time.
set(ENV{LD_LIBRARY_PATH} ${prefix}/lib)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)

# --- 1. pkg-config ---------------------------------------------------------
find_program(PKG_CONFIG pkg-config REQUIRED)
run("pkg-config --cflags --libs weft" ${PKG_CONFIG} --cflags --libs weft)
string(STRIP "${run_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
# weft.pc is relocatable (${pcfiledir}/../..): normalise before comparing.
set(found_I OFF)
set(found_L OFF)
foreach(flag ${pc_flags})
  if(flag MATCHES "^-([IL])(.*)$")
    set(kind ${CMAKE_MATCH_1})
    cmake_path(NORMAL_PATH CMAKE_MATCH_2 OUTPUT_VARIABLE dir)
    if(kind STREQUAL "I" AND dir STREQUAL "${prefix}/include")
      set(found_I ON)
    elseif(kind STREQUAL "L" AND dir STREQUAL "${prefix}/lib")
      set(found_L ON)
    endif()
  endif()
endforeach()
if(NOT found_I OR NOT found_L)
  message(FATAL_ERROR "weft.pc does not point into ${prefix}: ${pc_flags}")
endif()
run("cc (pkg-config, shared)" ${CC} -std=gnu11 ${cflags} ${EXAMPLE}
    ${pc_flags} -o ${WORK}/pc_shared)
run("pkg-config build, shared, runs" ${WORK}/pc_shared)
message(STATUS "${run_output}")

# Static: the same -lweft, but resolved to libweft.a; Libs.private and
# Requires.private must bring in everything it needs.
run("pkg-config --static" ${PKG_CONFIG} --static --cflags --libs weft)
string(STRIP "${run_output}" pc_static)
separate_arguments(pc_static UNIX_COMMAND "${pc_static}")
list(TRANSFORM pc_static REPLACE "^-lweft$" "-l:libweft.a")
run("cc (pkg-config --static)" ${CC} -std=gnu11 ${cflags} ${EXAMPLE}
    ${pc_static} -o ${WORK}/pc_static)
run("pkg-config build, static, runs" ${WORK}/pc_static)

# --- 2. find_package(weft CONFIG) ------------------------------------------
run("configure (find_package)" ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK}/cmake
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${CC}
    -DCMAKE_C_FLAGS=${CFLAGS} -DCMAKE_BUILD_TYPE=${CONFIG}
    -DWEFT_EXAMPLE=${EXAMPLE})
run("build (find_package)" ${CMAKE_COMMAND} --build ${WORK}/cmake)
run("weft::weft build runs" ${WORK}/cmake/consumer_shared)
run("weft::weft_static build runs" ${WORK}/cmake/consumer_static)
# The shared build must use the installed library.
execute_process(COMMAND ldd ${WORK}/cmake/consumer_shared
                OUTPUT_VARIABLE ldd_out)
if(NOT ldd_out MATCHES "${prefix}/lib/libweft.so")
  message(FATAL_ERROR "consumer_shared does not load ${prefix}/lib:\n"
                      "${ldd_out}")
endif()
message(STATUS "install test passed")
