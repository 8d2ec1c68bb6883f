#pragma once

#include <chrono>
#include <string>

#include "actors/detect/messages.hpp"

namespace vigil {

/// Settings of the optional language-model narrator (`--narrator-url`).
struct llm_config {
  /// Base URL of an Ollama-compatible server, `http://host[:port]`; empty:
  /// template summaries only.
  std::string url;
  /// The model the server runs.
  std::string model = "llama3.2";
  /// Connect, send and answer together; a later answer is ignored.
  std::chrono::milliseconds timeout{5000};
};

/// Checks `url` (`http://host[:port]`, nothing after the port but an
/// optional `/`) and splits it; false with `error` naming what is wrong.
bool parse_llm_url(const std::string& url, std::string& host, int& port,
                   std::string& error);

/// The prompt for one incident: its facts (service, severity, times, the
/// anomaly count and the template summary, which holds the metrics with
/// observed and expected values) and what to write.
std::string llm_prompt(const incident_row& row);

/// The body of POST /api/generate: {"model", "prompt", "stream": false}.
std::string llm_request_body(const std::string& model,
                             const std::string& prompt);

/// Takes the answer of POST /api/generate: a JSON object whose "response"
/// is a string. The text is trimmed and its whitespace runs collapsed to
/// one space; it is accepted if it has 20 to 500 characters, at most three
/// sentences, no control characters, and names the incident's service.
/// Otherwise false, with `why` saying which rule it broke.
bool parse_llm_answer(const std::string& body, const std::string& service,
                      std::string& summary, std::string& why);

/// Asks the server for the summary of one incident (blocking, bounded by the
/// timeout). Plain class: the narrator's helper actor runs it on its own
/// thread, tests call it directly.
class llm_client {
public:
  explicit llm_client(llm_config settings);

  /// True with `summary` set on an accepted answer; false with `why` (no
  /// connection, timeout, HTTP status, or the rule the answer broke).
  bool summarize(const incident_row& row, std::string& summary,
                 std::string& why);

  const llm_config& settings() const noexcept {
    return settings_;
  }

private:
  llm_config settings_;
  std::string host_;
  int port_ = 80;
};

} // namespace vigil
