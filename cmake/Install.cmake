# Install rules: the layer libraries, the public headers, a CMake package
# (find_package(Gatehouse): targets gatehouse::<layer> and the umbrella
# gatehouse::gatehouse) and a pkg-config file (pkg-config gatehouse), and
# the gatehouse command when it is built. Included last by CMakeLists.txt.
include(CMakePackageConfigHelpers)

get_property(GATEHOUSE_LAYER_TARGETS GLOBAL PROPERTY GATEHOUSE_LAYERS)

set(GATEHOUSE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Gatehouse)
install(TARGETS ${GATEHOUSE_LAYER_TARGETS} gatehouse_gatehouse
  EXPORT GatehouseTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/gatehouse DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/gatehouse/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gatehouse)
install(EXPORT GatehouseTargets NAMESPACE gatehouse:: DESTINATION ${GATEHOUSE_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/GatehouseConfig.cmake.in
  ${PROJECT_BINARY_DIR}/GatehouseConfig.cmake INSTALL_DESTINATION ${GATEHOUSE_CMAKE_DIR})
# 0.x: a minor version may change the API, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/GatehouseConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/GatehouseConfig.cmake ${PROJECT_BINARY_DIR}/GatehouseConfigVersion.cmake
  DESTINATION ${GATEHOUSE_CMAKE_DIR})

# pkg-config: the layers from the top of DESIGN.md's table down (an archive
# before the ones it needs), then what they link. The archives are static
# unless BUILD_SHARED_LIBS, so what they link is in Requires and Libs, not in
# the .private fields a plain `pkg-config --libs` leaves out.
set(GATEHOUSE_PC_LIBS "")
foreach(t IN LISTS GATEHOUSE_LAYER_TARGETS)
  set(GATEHOUSE_PC_LIBS "-l${t} ${GATEHOUSE_PC_LIBS}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/gatehouse.pc.in ${PROJECT_BINARY_DIR}/gatehouse.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gatehouse.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(TARGET gatehouse)
  install(TARGETS gatehouse RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
