#pragma once

// Messages of the operator console. Every type id is announced in
// actors/messages.hpp.
//
// Contract: `vigil console` -> the node's console endpoint:
// `console_request` -> `console_reply`.

#include <string>

#include <caf/meta/type_name.hpp>

namespace vigil {

/// One command line typed at `vigil console`, sent to a node's console
/// endpoint (parsed by the node, so that a client needs no command list).
struct console_request {
  /// The command and its arguments, e.g. "anomalies checkout 5".
  std::string line;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_request& x) {
  return f(caf::meta::type_name("console_request"), x.line);
}

/// A console endpoint's answer to a `console_request`.
struct console_reply {
  /// False if the command was not understood or could not be answered.
  bool ok = false;
  /// Plain text for the operator, ending with a newline.
  std::string text;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_reply& x) {
  return f(caf::meta::type_name("console_reply"), x.ok, x.text);
}

} // namespace vigil
