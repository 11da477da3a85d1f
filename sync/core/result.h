// Result<T>: a value or an mpp::Error. Returned across module boundaries instead of throwing.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "sync/core/error.h"

namespace mpp {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : error_(std::move(error)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

  // Precondition: !ok().
  const Error& error() const { return error_; }

 private:
  std::optional<T> value_;
  Error error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : ok_(false), error_(std::move(error)) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  bool ok_ = true;
  Error error_;
};

using Status = Result<void>;

inline Error MakeError(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace mpp

// Returns the error of a failed Result from the enclosing function.
#define MPP_RETURN_IF_ERROR(expr)                      \
  do {                                                 \
    auto mpp_status_ = (expr);                         \
    if (!mpp_status_.ok()) return mpp_status_.error(); \
  } while (false)

#define MPP_CONCAT_INNER_(a, b) a##b
#define MPP_CONCAT_(a, b) MPP_CONCAT_INNER_(a, b)
// `MPP_ASSIGN_OR_RETURN(auto x, Call());`: declares (or assigns) `x` from the value of a
// Result, or returns its error from the enclosing function.
#define MPP_ASSIGN_OR_RETURN(lhs, expr) \
  MPP_ASSIGN_OR_RETURN_IMPL_(MPP_CONCAT_(mpp_result_, __LINE__), lhs, expr)
#define MPP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.error();               \
  lhs = std::move(tmp).value()
