# SPDX-License-Identifier: MIT
# Doxygen INPUT_FILTER for weft's public headers (docs/Doxyfile): turns the
# plain C comments of STYLE.md into Doxygen comments without touching the
# headers. Used as: sed -f docs/doxygen-filter.sed <header>
#
# The SPDX line documents nothing.
/^\/\* SPDX-License-Identifier: .* \*\/$/d
# The file comment: "weft/x.h - what it is" becomes the file's doc block.
s|^/\* \(weft[/a-z_]*\.h\) - \(.*\)\*/$|/** \\file \1\n * \2*/|
s|^ \* \(weft[/a-z_]*\.h\) - | * \\file \1\n * |
# Section rulers "/* ---- name: text ---- */" document what follows.
s|^/\* -\{2,\} \(.*\) -\{2,\} \*/$|/** \1 */|
# A comment opening a line documents the declaration after it.
s|^\([[:space:]]*\)/\*$|\1/**|
s|^\([[:space:]]*\)/\* |\1/** |
# A comment after code (not after #include) documents that member.
/^#[[:space:]]*include/!s|^\([[:space:]]*[^[:space:]/][^/]*\)/\* |\1/**< |
# "<x>" placeholders in the text (weft_<x>_init) are not HTML tags.
/^#/!s|<\([A-Za-z_][A-Za-z0-9_-]*\)>|\\<\1\\>|g
