#include "actors/detect/llm_narrator.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace vigil {

bool parse_llm_url(const std::string& url, std::string& host, int& port,
                   std::string& error) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) {
    error = "--narrator-url must start with http:// (got '" + url
            + "'); https is not supported: reach the server on a trusted "
              "network or through a local proxy";
    return false;
  }
  auto rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    error = "--narrator-url must be http://HOST[:PORT] (got '" + url + "')";
    return false;
  }
  auto colon = rest.rfind(':');
  host = rest.substr(0, colon);
  port = 80;
  if (colon != std::string::npos) {
    auto digits = rest.substr(colon + 1);
    bool numeric
        = !digits.empty() && digits.size() <= 5
          && std::all_of(digits.begin(), digits.end(),
                         [](unsigned char c) { return std::isdigit(c); });
    port = numeric ? std::stoi(digits) : 0;
    if (port < 1 || port > 65535) {
      error = "--narrator-url has a bad port (got '" + url + "')";
      return false;
    }
  }
  if (host.empty()) {
    error = "--narrator-url has no host (got '" + url + "')";
    return false;
  }
  return true;
}

std::string llm_prompt(const incident_row& row) {
  std::string state = row.ended_at == 0 ? "ongoing" : "resolved";
  return "You write incident summaries for on-call engineers. Write exactly "
         "two short sentences in plain English about the incident below: "
         "what is wrong, since when and how bad, naming the service "
         + row.service
         + ". Use only these facts; do not guess causes or give advice.\n"
           "Service: "
         + row.service + "\nState: " + state + "\nSeverity: " + row.severity
         + "\nAnomalies: " + std::to_string(row.anomaly_count)
         + "\nFacts: " + row.summary + "\n";
}

std::string llm_request_body(const std::string& model,
                             const std::string& prompt) {
  return nlohmann::json{{"model", model}, {"prompt", prompt}, {"stream", false}}
      .dump();
}

bool parse_llm_answer(const std::string& body, const std::string& service,
                      std::string& summary, std::string& why) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = "the answer is not a JSON object";
    return false;
  }
  auto it = doc.find("response");
  if (it == doc.end() || !it->is_string()) {
    why = "the answer has no string \"response\"";
    return false;
  }
  const auto& raw = it->get_ref<const std::string&>();
  std::string text;
  bool space = false;
  for (unsigned char c : raw) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !text.empty();
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      why = "the response holds control characters";
      return false;
    }
    if (space)
      text += ' ';
    space = false;
    text += static_cast<char>(c);
  }
  if (text.size() < 20 || text.size() > 500) {
    why = "the response has " + std::to_string(text.size())
          + " characters (20 to 500 accepted)";
    return false;
  }
  size_t sentences = 0;
  for (size_t i = 0; i < text.size(); ++i)
    if ((text[i] == '.' || text[i] == '!' || text[i] == '?')
        && (i + 1 == text.size() || text[i + 1] == ' '))
      ++sentences;
  if (sentences > 3) {
    why = "the response has " + std::to_string(sentences)
          + " sentences (at most 3 accepted)";
    return false;
  }
  if (text.find(service) == std::string::npos) {
    why = "the response does not name the service " + service;
    return false;
  }
  summary = std::move(text);
  return true;
}

llm_client::llm_client(llm_config settings) : settings_(std::move(settings)) {
  std::string error;
  if (!parse_llm_url(settings_.url, host_, port_, error))
    host_.clear();
}

bool llm_client::summarize(const incident_row& row, std::string& summary,
                           std::string& why) {
  if (host_.empty()) {
    why = "no valid --narrator-url";
    return false;
  }
  httplib::Client client{host_, port_};
  auto total = settings_.timeout.count();
  auto sec = static_cast<time_t>(total / 1000);
  auto usec = static_cast<time_t>((total % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
  auto res = client.Post("/api/generate",
                         llm_request_body(settings_.model, llm_prompt(row)),
                         "application/json");
  if (!res) {
    why = "no answer from " + settings_.url + ": "
          + httplib::to_string(res.error());
    return false;
  }
  if (res->status != 200) {
    why = settings_.url + " answered HTTP " + std::to_string(res->status);
    return false;
  }
  return parse_llm_answer(res->body, row.service, summary, why);
}

} // namespace vigil
