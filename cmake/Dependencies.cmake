# Every dependency is a Debian package (scripts/setup installs them). Nothing is downloaded.
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
# RocksDB is linked statically (RocksDB::rocksdb, Debian's librocksdb.a from librocksdb-dev): in the
# shared library every memtable key comparison reaches its perf-context counter through
# __tls_get_addr and calls go through the PLT; static, TLS is initial-exec, which makes a replay with
# a RocksDB store run measurably fewer instructions (callgrind).
find_package(RocksDB CONFIG REQUIRED)
find_package(simdjson CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(benchmark CONFIG REQUIRED)
find_package(LibXml2 REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n data)
find_package(uriparser CONFIG REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(UCHARDET REQUIRED IMPORTED_TARGET uchardet)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_library(CLD2_LIBRARY NAMES cld2 REQUIRED)
add_library(cld2 INTERFACE)
target_link_libraries(cld2 INTERFACE ${CLD2_LIBRARY})  # libcld2 (full tables: libcld2_full)
target_include_directories(cld2 SYSTEM INTERFACE /usr/include/cld2/public)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
