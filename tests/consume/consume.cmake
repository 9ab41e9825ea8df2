# Builds and runs a tiny external project that consumes concurrence one of three ways:
#   MODE=subdirectory   add_subdirectory(<repo>) + target_link_libraries(app concurrence::concurrence)
#   MODE=fetchcontent   FetchContent_Declare(concurrence SOURCE_DIR <repo>) + FetchContent_MakeAvailable
#   MODE=install        cmake --install of the library into a prefix, then find_package(CONFIG)
#
#   cmake -DMODE=... -DREPO=<repo> -DWORK=<scratch dir> -DCXX=<c++ compiler>
#         [-DMAKE_PROGRAM=<ninja>] -P consume.cmake
#
# Everything is configured from scratch in WORK (wiped first), with Ninja, without
# sanitizers and without the library's tests, examples and benchmarks.
cmake_minimum_required(VERSION 3.22)

foreach(v MODE REPO WORK CXX)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "consume.cmake: -D${v}=... is required")
  endif()
endforeach()
if(NOT MODE MATCHES "^(subdirectory|fetchcontent|install)$")
  message(FATAL_ERROR "consume.cmake: unknown MODE '${MODE}'")
endif()

# Nothing from the outer build's environment may leak in (sanitizer or other flags).
foreach(e CXXFLAGS CPPFLAGS LDFLAGS CMAKE_PREFIX_PATH CMAKE_GENERATOR CMAKE_BUILD_TYPE)
  unset(ENV{${e}})
endforeach()

set(threading 0)
if(EXISTS "${REPO}/include/concurrence/threading.hpp")
  set(threading 1)
endif()

file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/app")
file(COPY "${CMAKE_CURRENT_LIST_DIR}/app/main.cpp" DESTINATION "${WORK}/app")

# -O0 and unity builds: these builds check how the library is consumed, not its speed, and
# make test runs three.
set(common_args -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O0 -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_UNITY_BUILD=ON
    -DCONCURRENCE_BUILD_TESTS=OFF -DCONCURRENCE_BUILD_EXAMPLES=OFF -DCONCURRENCE_BUILD_BENCH=OFF
    -DCONCURRENCE_SANITIZE= -DCONCURRENCE_WERROR=OFF)
if(MAKE_PROGRAM)
  list(APPEND common_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

function(step what)
  list(JOIN ARGN " " cmdline)
  message(STATUS "[consume ${MODE}] ${what}: ${cmdline}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "[consume ${MODE}] ${what} failed (${rc}):\n${out}")
  endif()
endfunction()

set(app_head "cmake_minimum_required(VERSION 3.22)\nproject(consume_${MODE} LANGUAGES CXX)\n")
set(app_tail "add_executable(app main.cpp)\ntarget_compile_definitions(app PRIVATE CONSUME_THREADING=${threading})\ntarget_link_libraries(app PRIVATE concurrence::concurrence)\n")

if(MODE STREQUAL "subdirectory")
  file(WRITE "${WORK}/app/CMakeLists.txt"
       "${app_head}add_subdirectory(\"${REPO}\" concurrence)\n${app_tail}")
elseif(MODE STREQUAL "fetchcontent")
  file(WRITE "${WORK}/app/CMakeLists.txt"
       "${app_head}include(FetchContent)\n"
       "FetchContent_Declare(concurrence SOURCE_DIR \"${REPO}\")\n"
       "FetchContent_MakeAvailable(concurrence)\n${app_tail}")
else()
  # The library alone, installed into a prefix; the consumer sees only the prefix.
  set(prefix "${WORK}/prefix")
  step("configure library" ${CMAKE_COMMAND} -S "${REPO}" -B "${WORK}/lib-build" ${common_args}
       -DCMAKE_INSTALL_PREFIX=${prefix})
  step("build library" ${CMAKE_COMMAND} --build "${WORK}/lib-build" --parallel 2)
  step("install library" ${CMAKE_COMMAND} --install "${WORK}/lib-build")
  file(GLOB_RECURSE config "${prefix}/*/concurrenceConfig.cmake")
  file(GLOB_RECURSE installed_headers "${prefix}/include/concurrence/*.hpp")
  if(NOT config OR NOT installed_headers)
    message(FATAL_ERROR "[consume install] no concurrenceConfig.cmake or headers under ${prefix}")
  endif()
  # The installed package must not point back into the source or build tree.
  file(GLOB_RECURSE exported "${prefix}/*/concurrence*.cmake")
  foreach(f ${exported})
    file(READ "${f}" text)
    string(FIND "${text}" "${REPO}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "[consume install] ${f} refers to the source tree ${REPO}")
    endif()
  endforeach()
  file(WRITE "${WORK}/app/CMakeLists.txt"
       "${app_head}find_package(concurrence 0.1 REQUIRED CONFIG)\n${app_tail}")
  list(APPEND app_args -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
endif()

step("configure app" ${CMAKE_COMMAND} -S "${WORK}/app" -B "${WORK}/app-build" ${common_args} ${app_args})
step("build app" ${CMAKE_COMMAND} --build "${WORK}/app-build" --parallel 2)

set(expected "asyncio: 12\n")
if(threading)
  string(APPEND expected "threading: 42\n")
endif()
execute_process(COMMAND "${WORK}/app-build/app" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out STREQUAL expected)
  message(FATAL_ERROR "[consume ${MODE}] app: exit ${rc}\n--- expected\n${expected}--- got\n${out}--- stderr\n${err}")
endif()
message(STATUS "[consume ${MODE}] ok (threading=${threading}):\n${out}")
