# SPDX-License-Identifier: MIT
# Install rules beyond the libraries and headers (CMakeLists.txt installs
# those): a pkg-config file and a CMake package.
#
#   pkg-config --cflags --libs weft        (add --static for libweft.a)
#   find_package(weft CONFIG REQUIRED)     -> weft::weft, weft::weft_static
#
# Both are relocatable: weft.pc finds its prefix from its own location
# (${pcfiledir}) and weftConfig.cmake from its own, so an install into any
# prefix (cmake --install build --prefix /opt/weft) works unchanged.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(WEFT_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/weft)
set(WEFT_PKGCONFIG_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- the CMake package ---------------------------------------------------
# The same targets again, this time into an export set (CMake allows a
# target in several install() rules; the files are the same).
install(TARGETS weft weft_static EXPORT weftTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT weftTargets NAMESPACE weft:: FILE weftTargets.cmake
        DESTINATION ${WEFT_CMAKE_INSTALL_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/weftConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/weftConfig.cmake
  INSTALL_DESTINATION ${WEFT_CMAKE_INSTALL_DIR})
# Before 1.0 a minor version may change the API/ABI.
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/cmake/weftConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/weftConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/weftConfigVersion.cmake
        DESTINATION ${WEFT_CMAKE_INSTALL_DIR})

# --- pkg-config ----------------------------------------------------------
# Relative to the .pc file when the install dirs are relative (the usual
# case); absolute otherwise.
function(weft_pc_path out dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out} "${dir}" PARENT_SCOPE)
  else()
    set(${out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${WEFT_PKGCONFIG_INSTALL_DIR}")
  set(WEFT_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  # ${pcfiledir}/../.. for lib/pkgconfig, ../../.. for lib/<triplet>/...
  file(RELATIVE_PATH _weft_up /root/${WEFT_PKGCONFIG_INSTALL_DIR} /root)
  string(REGEX REPLACE "/$" "" _weft_up "${_weft_up}")
  set(WEFT_PC_PREFIX "\${pcfiledir}/${_weft_up}")
endif()
weft_pc_path(WEFT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
weft_pc_path(WEFT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/weft.pc.in
               ${CMAKE_BINARY_DIR}/cmake/weft.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/cmake/weft.pc
        DESTINATION ${WEFT_PKGCONFIG_INSTALL_DIR})
