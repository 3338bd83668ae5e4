# SPDX-License-Identifier: MIT
# Public header checks (STYLE.md section 5), included by tests/CMakeLists.txt.
#
# Every include/weft.h and include/weft/*.h must compile on its own, first
# thing in a translation unit, as strict C11 and as C++11. The glob runs at
# configure time (CONFIGURE_DEPENDS), so headers added later are covered.
#  - build: one OBJECT library per header and language, built by default, so
#    a broken header breaks the build;
#  - ctest (label "headers"): header_<name> rebuilds those two targets, so a
#    header edited after the last build fails the test run too, and
#    header_no_third_party checks that no public header includes <ck_*.h>
#    or <urcu/...>.
file(GLOB WEFT_PUBLIC_HEADERS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/include/weft.h
     ${PROJECT_SOURCE_DIR}/include/weft/*.h)

set(WEFT_HEADER_C_FLAGS -pedantic -Wall -Wextra -Werror)
set(WEFT_HEADER_CXX_FLAGS -pedantic -Wall -Wextra -Werror)

foreach(hdr ${WEFT_PUBLIC_HEADERS})
  file(RELATIVE_PATH inc ${PROJECT_SOURCE_DIR}/include ${hdr})
  string(MAKE_C_IDENTIFIER "${inc}" id) # weft/pool.h -> weft_pool_h
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/headers)
  # file(CONFIGURE) rewrites only on change: no needless rebuilds.
  file(CONFIGURE OUTPUT ${dir}/${id}.c CONTENT "#include <${inc}>\n")
  file(CONFIGURE OUTPUT ${dir}/${id}.cpp CONTENT "#include <${inc}>\n")

  add_library(hdr_c_${id} OBJECT ${dir}/${id}.c)
  set_target_properties(hdr_c_${id} PROPERTIES
    C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF) # -std=c11
  target_compile_options(hdr_c_${id} PRIVATE ${WEFT_HEADER_C_FLAGS})

  add_library(hdr_cxx_${id} OBJECT ${dir}/${id}.cpp)
  set_target_properties(hdr_cxx_${id} PROPERTIES
    CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF) # -std=c++11
  target_compile_options(hdr_cxx_${id} PRIVATE ${WEFT_HEADER_CXX_FLAGS})

  # Only include/ on the path: a header must not lean on runtime/.
  foreach(t hdr_c_${id} hdr_cxx_${id})
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  endforeach()

  add_test(NAME header_${id}
           COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR}
                   --target hdr_c_${id} hdr_cxx_${id})
  # One build at a time in this tree, whatever ctest -j says.
  set_tests_properties(header_${id} PROPERTIES LABELS headers
                       RESOURCE_LOCK weft_build_tree)
endforeach()

add_test(NAME header_no_third_party
         COMMAND ${CMAKE_COMMAND}
                 -DHEADERS=${PROJECT_SOURCE_DIR}/include
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/headers/check_includes.cmake)
set_tests_properties(header_no_third_party PROPERTIES LABELS headers)
