#pragma once

// A minimal value-or-error-text result for plain (non-actor) code. Actor code
// uses caf::expected; this one carries a human-readable message meant for the
// operator (what went wrong and how to fix it).

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vigil {

/// The error alternative of `expected`: a sentence for the operator.
struct error_text {
  /// What went wrong and, where known, how to fix it.
  std::string text;
};

/// Returns an `error_text` holding `text`.
inline error_text make_error_text(std::string text) {
  return error_text{std::move(text)};
}

/// Either a value of type `T` or an `error_text`.
template <class T>
class expected {
public:
  /// Holds a value.
  expected(T value) : data_(std::in_place_index<0>, std::move(value)) {
    // nop
  }

  /// Holds an error.
  expected(error_text err) : data_(std::in_place_index<1>, std::move(err)) {
    // nop
  }

  /// True if a value is present.
  explicit operator bool() const noexcept {
    return data_.index() == 0;
  }

  /// True if a value is present.
  bool has_value() const noexcept {
    return data_.index() == 0;
  }

  /// The value; requires has_value().
  T& value() & {
    return std::get<0>(data_);
  }

  /// The value; requires has_value().
  const T& value() const& {
    return std::get<0>(data_);
  }

  /// The value, moved out; requires has_value().
  T&& value() && {
    return std::get<0>(std::move(data_));
  }

  T& operator*() & {
    return value();
  }

  const T& operator*() const& {
    return value();
  }

  T* operator->() {
    return &value();
  }

  const T* operator->() const {
    return &value();
  }

  /// The error text; requires !has_value().
  const std::string& error() const {
    return std::get<1>(data_).text;
  }

private:
  std::variant<T, error_text> data_;
};

/// Success or an `error_text`.
template <>
class expected<void> {
public:
  /// Success.
  expected() = default;

  /// Failure.
  expected(error_text err) : error_(std::move(err.text)) {
    // nop
  }

  /// True on success.
  explicit operator bool() const noexcept {
    return !error_.has_value();
  }

  /// True on success.
  bool has_value() const noexcept {
    return !error_.has_value();
  }

  /// The error text; requires !has_value().
  const std::string& error() const {
    return *error_;
  }

private:
  std::optional<std::string> error_;
};

/// Success or an error text.
using status = expected<void>;

} // namespace vigil
