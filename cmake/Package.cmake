# The Debian package of the accounts server: `cpack -G DEB` in a build tree
# writes gatehouse_<version>_<arch>.deb (gatehouse_0.1.0_amd64.deb), which
# runs `gatehouse serve` as a system service:
#
#   /usr/bin/gatehouse                     the command
#   /lib/systemd/system/gatehouse.service  the unit (packaging/gatehouse.service)
#   /etc/gatehouse/gatehouse.toml          the configuration, a conffile
#   /usr/share/gatehouse/templates/        copies of the built-in page templates,
#                                          to start an override directory from
#   /usr/share/doc/gatehouse/              copyright, README, configuration, deployment
#
# and maintainer scripts (packaging/postinst, prerm, postrm) that add the
# system user gatehouse and its state directory /var/lib/gatehouse.
# docs/deployment.md describes the result.
#
# The package is one install component, "server", whose rules are all
# EXCLUDE_FROM_ALL: a plain `cmake --install` is exactly what
# cmake/Install.cmake makes it (libraries, headers, CMake package, pkg-config
# file and the command under CMAKE_INSTALL_PREFIX) and never writes to /etc or
# /lib/systemd, and the package carries none of the development files. CPack
# installs that one component (CPACK_COMPONENTS_ALL) into one package
# (ALL_COMPONENTS_IN_ONE, so the package is named gatehouse, not
# gatehouse-server). The paths under /usr are relative to
# CPACK_PACKAGING_INSTALL_PREFIX, fixed to /usr whatever CMAKE_INSTALL_PREFIX
# the tree was configured with; /etc and /lib/systemd are absolute, which the
# DEB generator stages under its own DESTDIR.
#
# Included by CMakeLists.txt, after the targets, when Gatehouse is the
# top-level project.

if(NOT TARGET gatehouse)
  message(STATUS "Gatehouse: no Debian package (the gatehouse command is not built: GATEHOUSE_CLI=OFF)")
  return()
endif()
if(BUILD_SHARED_LIBS)
  # The package carries the command alone, linked to the static layer
  # libraries; with shared ones it would need them too.
  message(STATUS "Gatehouse: no Debian package with BUILD_SHARED_LIBS=ON")
  return()
endif()

set(GATEHOUSE_PACKAGE_MAINTAINER "Gatehouse maintainers <maintainers@gatehouse.invalid>"
  CACHE STRING "The Maintainer field of the Debian package")

# ---- what the package holds: the component "server" ---------------------------------

set(_gh_package COMPONENT server EXCLUDE_FROM_ALL)
install(TARGETS gatehouse RUNTIME DESTINATION bin ${_gh_package})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/gatehouse.service DESTINATION /lib/systemd/system ${_gh_package})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/gatehouse.toml DESTINATION /etc/gatehouse ${_gh_package})
# The templates are compiled into the command; these copies are what an
# override directory (templates_dir) starts from.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/templates/ DESTINATION share/gatehouse/templates ${_gh_package})
set(_gh_docs ${PROJECT_SOURCE_DIR}/packaging/copyright ${PROJECT_SOURCE_DIR}/README.md)
foreach(page IN ITEMS configuration.md deployment.md nginx.md security.md)
  if(EXISTS ${PROJECT_SOURCE_DIR}/docs/${page})
    list(APPEND _gh_docs ${PROJECT_SOURCE_DIR}/docs/${page})
  endif()
endforeach()
install(FILES ${_gh_docs} DESTINATION share/doc/gatehouse ${_gh_package})
unset(_gh_docs)
unset(_gh_package)

# ---- the package ----------------------------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gatehouse)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Gatehouse")
set(CPACK_PACKAGE_CONTACT "${GATEHOUSE_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "accounts server: users, passwords, sessions, Django-compatible")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Directories in the package are 0755 whatever the umask of the shell running
# cpack (a plain `cmake --install` is left to the umask, as before).
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL server)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)

set(CPACK_DEBIAN_PACKAGE_NAME gatehouse)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # gatehouse_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GATEHOUSE_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The long description; CPack puts the summary above it as its first line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "Gatehouse serves what Django's django.contrib.auth gives Python services -\n"
  "signup, login and logout, sessions, password change and recovery - to\n"
  "other services over HTTP (a JSON API and plain HTML pages), in Django's\n"
  "formats, so it can share a database with a Django project. It runs on an\n"
  "embedded SQLite database by default, or on PostgreSQL and Redis.\n"
  "\n"
  "This package runs `gatehouse serve` as the systemd service gatehouse, as\n"
  "the system user gatehouse, configured by /etc/gatehouse/gatehouse.toml.")
string(JOIN "" CPACK_DEBIAN_PACKAGE_DESCRIPTION ${CPACK_DEBIAN_PACKAGE_DESCRIPTION})
# The libraries the command links, found by dpkg-shlibdeps (dpkg-dev; it
# needs the `file` command too), and what the maintainer scripts use.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/postinst
  ${PROJECT_SOURCE_DIR}/packaging/prerm
  ${PROJECT_SOURCE_DIR}/packaging/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, conffiles 0644, whatever the checkout says

# `cpack --config CPackSourceConfig.cmake` (the package_source target): the
# sources without build trees and clutter.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build/" "/build-[^/]*/" "/node_modules/" "/\\\\.cache/" "\\\\.sqlite3$")

include(CPack)
