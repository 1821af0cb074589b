# cmake -DIN=file -DOUT=file.cc -DNAME=symbol -P embed_file.cmake: writes a C++ source defining
# `extern const unsigned char NAME[]` and `extern const unsigned long NAME_size` with IN's bytes.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" len)
math(EXPR size "${len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_file.cmake.\n"
  "extern const unsigned char ${NAME}[] = {\n${bytes}0};\n"
  "extern const unsigned long ${NAME}_size = ${size};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
