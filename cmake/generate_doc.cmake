# cmake -DPROGRAM=flowsync "-DARGS=completion bash" -DOUTPUT=FILE -P generate_doc.cmake
# Runs PROGRAM ARGS and writes what it prints to OUTPUT, replacing OUTPUT only
# when the run succeeds.
separate_arguments(args UNIX_COMMAND "${ARGS}")
get_filename_component(dir "${OUTPUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
execute_process(COMMAND "${PROGRAM}" ${args} OUTPUT_FILE "${OUTPUT}.tmp" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE "${OUTPUT}.tmp")
  message(FATAL_ERROR "`${PROGRAM} ${ARGS}` failed: ${status}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
