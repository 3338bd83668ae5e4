# SPDX-License-Identifier: MIT
# No system call on the uncontended fast paths (issue #5): nosyscall runs
# lock/event/queue operations on one thread under strace -c -e trace=futex;
# the count must be 0, and the control (a wait that times out) must count
# at least one, so the check can fail. Sanitizer runtimes make their own
# futex calls: registered only in builds without WEFT_SANITIZE.
if(NOT WEFT_SANITIZE)
  weft_test_exe(nosyscall ${CMAKE_CURRENT_SOURCE_DIR}/syscall/nosyscall.c)
  foreach(mode uncontended control)
    if(mode STREQUAL "uncontended")
      set(want zero)
    else()
      set(want some)
    endif()
    add_test(NAME nosyscall_${mode}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/syscall/check_futex.sh
              $<TARGET_FILE:nosyscall> ${mode} ${want})
    set_tests_properties(nosyscall_${mode} PROPERTIES LABELS unit
                         SKIP_RETURN_CODE 77)
  endforeach()
endif()
