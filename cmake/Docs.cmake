# The API reference: `cmake --build <build> --target docs` runs Doxygen over
# the public headers and the guide (docs/Doxyfile.in; the headers' `//`
# comments reach Doxygen through docs/doxygen_filter.awk) into
# <build>/docs/html, then prints how many declarations have no comment
# Doxygen can read: its "is not documented" warnings, kept in
# <build>/docs/doxygen-warnings.log. Warnings do not fail the target.
#
# `docs` is not part of ALL. It exists when doxygen is installed (Debian's
# doxygen package; scripts/install-deps.sh installs it) and Gatehouse is the
# top-level project: a project that includes Gatehouse keeps the name `docs`
# for its own. The filter needs `awk` on the PATH. Included by CMakeLists.txt.
if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "Doxygen not found: no docs target")
  return()
endif()

# The names docs/Doxyfile.in uses, besides PROJECT_SOURCE_DIR and PROJECT_VERSION.
set(DOXYGEN_OUT ${PROJECT_BINARY_DIR}/docs)
set(DOXYGEN_WARN_LOG ${DOXYGEN_OUT}/doxygen-warnings.log)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${DOXYGEN_OUT}/Doxyfile @ONLY)

add_custom_target(docs
  COMMAND Doxygen::doxygen ${DOXYGEN_OUT}/Doxyfile
  # "docs: N declarations not documented ...": the count of Doxygen's warnings of
  # that kind. (No ';' in the script: CMake would split the argument there.)
  COMMAND sh -c "echo \"docs: $(cat \"$1\" 2>/dev/null | grep -c 'is not documented') declarations not documented (list: $1), HTML: $2/index.html\""
          sh ${DOXYGEN_WARN_LOG} ${DOXYGEN_OUT}/html
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
  COMMENT "Doxygen: the API reference, into ${DOXYGEN_OUT}/html"
  VERBATIM)
