# Warnings for the project's own targets; errors when CONCURRENCE_WERROR is on (CI presets).
function(concurrence_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                         -Wno-sign-conversion -Wold-style-cast)
  if(CONCURRENCE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
