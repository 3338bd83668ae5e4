# SPDX-License-Identifier: MIT
# cmake -DHEADERS=<include dir> -P check_includes.cmake
# Fails when a public header includes a third-party header (<ck_*.h>,
# <urcu/...>, <urcu.h>): users would inherit ck's generated ck_md.h and
# liburcu's include-order rule (STYLE.md section 5). Also fails when it
# finds no header at all, so the check cannot pass vacuously.
if(NOT HEADERS)
  message(FATAL_ERROR "usage: cmake -DHEADERS=<include dir> -P ${CMAKE_SCRIPT_MODE_FILE}")
endif()
file(GLOB_RECURSE headers ${HEADERS}/*.h)
list(LENGTH headers n)
if(n EQUAL 0)
  message(FATAL_ERROR "no public headers under ${HEADERS}")
endif()

set(bad "")
foreach(h ${headers})
  file(STRINGS ${h} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${lines})
    if(line MATCHES "include[ \t]*[<\"](ck_[^>\"]*|urcu[/.][^>\"]*)[>\"]")
      file(RELATIVE_PATH rel ${HEADERS} ${h})
      list(APPEND bad "${rel}: ${line}")
    endif()
  endforeach()
endforeach()

if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "public headers include third-party headers:\n  ${text}")
endif()
message(STATUS "${n} public headers, none includes <ck_*.h> or <urcu/...>")
