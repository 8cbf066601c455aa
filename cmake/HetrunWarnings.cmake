# hetrun_target_warnings(TARGET): the project's warning set on one target (never directory-wide, so
# third-party headers pulled in as SYSTEM stay quiet).
function(hetrun_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers)
  if(HETRUN_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
