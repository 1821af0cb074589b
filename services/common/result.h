// Errors are values on the data path: Result<T> holds a T or an Error with a stable code.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "copydesk/v1/dead_letter.pb.h"

namespace copydesk {

using ErrorCode = v1::ErrorCode;

// A rejected input or failed step: a stable code (a DLQ header and a metric label) plus a
// human-readable reason.
struct Error {
  ErrorCode code = v1::ERROR_CODE_INTERNAL;
  std::string reason;

  // "EMPTY_VALUE" for ERROR_CODE_EMPTY_VALUE.
  [[nodiscard]] std::string CodeName() const;
};

// The short name of an error code: "EMPTY_VALUE" for ERROR_CODE_EMPTY_VALUE.
std::string ErrorCodeName(ErrorCode code);

inline std::string Error::CodeName() const {
  return ErrorCodeName(code);
}

inline std::string ErrorCodeName(ErrorCode code) {
  std::string full = v1::ErrorCode_Name(code);
  constexpr std::string_view kPrefix = "ERROR_CODE_";
  if (full.rfind(kPrefix, 0) == 0) return full.substr(kPrefix.size());
  return full;
}

// Either a value or an Error. No exceptions: callers test ok() before value().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  Result(ErrorCode code, std::string reason) : v_(Error{code, std::move(reason)}) {}

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() {
  return Ok{};
}

}  // namespace copydesk
