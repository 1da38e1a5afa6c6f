include(GNUInstallDirs)

# Build settings shared by every target, and gatehouse_layer(), which declares
# one library target per layer of DESIGN.md.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM AND PROJECT_IS_TOP_LEVEL AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
endif()

add_library(gatehouse_options INTERFACE)
target_compile_options(gatehouse_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
# GCC 12 reports false positives of -Wmaybe-uninitialized inside libstdc++'s
# std::variant<..., std::string> (GCC bug 105593 and kin); -Wuninitialized stays on.
# At -O3 it also reports -Wrestrict inside libstdc++ for every
# `"literal" + std::string&&` (GCC bug 105329, fixed in GCC 13): off for GCC 12.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(gatehouse_options INTERFACE -Wno-maybe-uninitialized)
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(gatehouse_options INTERFACE -Wno-restrict)
  endif()
endif()
if(GATEHOUSE_WERROR)
  target_compile_options(gatehouse_options INTERFACE -Werror)
endif()
if(GATEHOUSE_SANITIZE)
  target_compile_options(gatehouse_options INTERFACE
    -fsanitize=${GATEHOUSE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # Asio uses atomic_thread_fence, which GCC warns ThreadSanitizer cannot model;
  # Gatehouse's own code avoids fences under TSan (signals/detail/rcu.h).
  if(GATEHOUSE_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(gatehouse_options INTERFACE -Wno-tsan)
  endif()
  target_link_options(gatehouse_options INTERFACE -fsanitize=${GATEHOUSE_SANITIZE})
endif()

# gatehouse_layer(NAME SOURCES ... DEPS ...): the library gatehouse_NAME with
# alias gatehouse::NAME (the name it is exported under, too), public headers
# under include/gatehouse/NAME. A layer may depend only on the layers above
# it in DESIGN.md's table. Each layer is recorded in the global property
# GATEHOUSE_LAYERS, for the umbrella target and the install rules.
function(gatehouse_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(gatehouse_${name} ${L_SOURCES})
  add_library(gatehouse::${name} ALIAS gatehouse_${name})
  set_target_properties(gatehouse_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(gatehouse_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # The warning flags are the project's own, never passed on to a user.
  target_link_libraries(gatehouse_${name}
    PUBLIC ${L_DEPS}
    PRIVATE $<BUILD_INTERFACE:gatehouse_options> ${L_PRIVATE_DEPS})
  # Sanitizer flags must reach every object of a sanitized binary.
  if(GATEHOUSE_SANITIZE)
    target_compile_options(gatehouse_${name} PUBLIC -fsanitize=${GATEHOUSE_SANITIZE})
    target_link_options(gatehouse_${name} PUBLIC -fsanitize=${GATEHOUSE_SANITIZE})
  endif()
  set_property(GLOBAL APPEND PROPERTY GATEHOUSE_LAYERS gatehouse_${name})
endfunction()

# gatehouse_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(gatehouse_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE gatehouse_options ${T_DEPS} GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()
