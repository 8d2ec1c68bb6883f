#include "runtime/fault_episode.hpp"

#include <cstdio>
#include <utility>

namespace vigil {

namespace {

/// "10.2 s": seconds with one decimal.
std::string seconds_text(fault_episode_log::clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s",
                std::chrono::duration<double>(d).count());
  return buf;
}

std::string count_text(uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

} // namespace

fault_episode_log::fault_episode_log(std::string prefix, sink_function sink,
                                     clock_function now,
                                     std::chrono::milliseconds notice_interval)
    : prefix_(std::move(prefix)), sink_(std::move(sink)), now_(std::move(now)),
      notice_interval_(notice_interval) {
  // nop
}

void fault_episode_log::fault(const std::string& what) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_.load()) {
    ++suppressed_;
    return;
  }
  open_.store(true);
  ++episodes_;
  started_ = now_();
  suppressed_ = 0;
  armed_.clear();
  sink_(prefix_ + ": " + what + ", retrying with backoff");
}

void fault_episode_log::queued_fault(reporter_id who) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!open_.load())
    return; // queued before a recovery already logged, or a lone blip
  ++suppressed_;
  armed_.insert(who);
}

void fault_episode_log::success(reporter_id who) {
  if (!open_.load())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  // Results delivered in an episode's first moments were in flight when it
  // began, whatever their queue order: no evidence of recovery (a real one
  // takes at least librdkafka's reconnect backoff).
  if (open_.load() && armed_.count(who) > 0
      && now_() - started_ >= success_settle)
    end_episode();
}

void fault_episode_log::recovered() {
  if (!open_.load())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_.load())
    end_episode();
}

void fault_episode_log::notice(const std::string& key,
                               const std::string& text) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (open_.load()) {
    ++suppressed_;
    return;
  }
  auto now = now_();
  auto i = notices_.find(key);
  if (i != notices_.end() && now - i->second.logged < notice_interval_) {
    ++i->second.repeats;
    return;
  }
  auto& state = notices_[key];
  std::string line = prefix_ + ": " + text;
  if (state.repeats > 0)
    line
        += " (" + count_text(state.repeats, "similar message") + " suppressed)";
  state.logged = now;
  state.repeats = 0;
  sink_(line);
}

void fault_episode_log::alert(const std::string& text) {
  std::lock_guard<std::mutex> guard{mtx_};
  sink_(prefix_ + ": " + text);
}

uint64_t fault_episode_log::episodes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return episodes_;
}

uint64_t fault_episode_log::suppressed() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return suppressed_;
}

void fault_episode_log::end_episode() {
  sink_(prefix_ + ": recovered after " + seconds_text(now_() - started_) + "; "
        + count_text(suppressed_, "error") + " suppressed");
  open_.store(false);
  suppressed_ = 0;
  armed_.clear();
}

} // namespace vigil
