# CONCURRENCE_SANITIZE=address,undefined or thread: applied to every target of this project
# (library, tests, examples) so that instrumented and plain code never mix.
if(CONCURRENCE_SANITIZE)
  set(_san_flags -fsanitize=${CONCURRENCE_SANITIZE} -fno-omit-frame-pointer -g)
  if(CONCURRENCE_SANITIZE MATCHES "undefined")
    list(APPEND _san_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_san_flags})
  add_link_options(-fsanitize=${CONCURRENCE_SANITIZE})
endif()
function(concurrence_sanitize target)
  # Flags are global (above); kept as a hook so targets opt in explicitly.
endfunction()
