# Writes OUTPUT: a C++ file holding every file of WWW_DIR as a string literal
# of hex escapes, and the table that dashboard.cpp searches.
# Run as: cmake -DWWW_DIR=… -DOUTPUT=… -P embed_assets.cmake
cmake_minimum_required(VERSION 3.25)

# The content type a browser needs to use each kind of file.
function(content_type_of file out)
  get_filename_component(ext "${file}" LAST_EXT)
  string(TOLOWER "${ext}" ext)
  # An if-chain, not a list: the "; charset=" in a type would split a list.
  if(ext STREQUAL ".html")
    set(type "text/html; charset=utf-8")
  elseif(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".json")
    set(type "application/json")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  elseif(ext STREQUAL ".png")
    set(type "image/png")
  elseif(ext STREQUAL ".woff2")
    set(type "font/woff2")
  elseif(ext STREQUAL ".woff")
    set(type "font/woff")
  elseif(ext STREQUAL ".ttf")
    set(type "font/ttf")
  else()
    set(type "application/octet-stream")
  endif()
  set(${out} "${type}" PARENT_SCOPE)
endfunction()

file(GLOB files RELATIVE "${WWW_DIR}" "${WWW_DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(index 0)
foreach(name IN LISTS files)
  if(IS_DIRECTORY "${WWW_DIR}/${name}")
    continue()
  endif()
  file(READ "${WWW_DIR}/${name}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  # 32 bytes per source line keeps the generated file readable by compilers
  # and people alike; adjacent string literals concatenate.
  string(REPEAT "[0-9a-f]" 64 line_of_hex)
  string(REGEX REPLACE "(${line_of_hex})" "\\1\"\n    \"" lines "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${lines}")
  content_type_of("${name}" type)
  string(APPEND arrays "// ${name}\nconstexpr char kAsset${index}[] =\n    \"${escaped}\";\n\n")
  string(APPEND table "    {\"/${name}\", {\"${type}\", {kAsset${index}, ${size}}}},\n")
  math(EXPR index "${index} + 1")
endforeach()

set(content "// Generated from the dashboard's www/ by embed_assets.cmake; do not edit.
#include \"dashboard_assets.h\"

namespace bangdan::dashboard_internal {
namespace {

${arrays}}  // namespace

const EmbeddedAsset kEmbeddedAssets[] = {
${table}};
const std::size_t kEmbeddedAssetCount = ${index};

}  // namespace bangdan::dashboard_internal
")
# Rewriting an unchanged file would make every dependant rebuild for nothing.
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${content}" @ONLY)
