#include "actors/ingest/dead_letter_file.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "actors/ingest/dead_letter_ledger.hpp"
#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/log.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

std::string dead_letter_line(const dead_letter& letter, int32_t partitions) {
  auto quote = [](const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false,
                                     nlohmann::json::error_handler_t::replace);
  };
  auto record
      = letter.offset * std::max<int32_t>(1, partitions) + letter.partition;
  return "{\"partition\":" + std::to_string(letter.partition)
         + ",\"offset\":" + std::to_string(letter.offset) + ",\"record\":"
         + std::to_string(record) + ",\"reason\":" + quote(letter.reason)
         + ",\"payload\":" + quote(letter.payload) + "}";
}

bool parse_dead_letter_line(const std::string& line, int32_t& partition,
                            int64_t& offset) {
  int p = 0;
  long long o = 0;
  int used = 0;
  if (std::sscanf(line.c_str(), "{\"partition\":%d,\"offset\":%lld,%n", &p, &o,
                  &used)
          != 2
      || used == 0 || line.empty() || line.back() != '}')
    return false;
  partition = p;
  offset = o;
  return true;
}

namespace {

struct dead_letter_file_state {
  static inline const char* name = "dead_letter_file";

  explicit dead_letter_file_state(
      caf::stateful_actor<dead_letter_file_state>* self)
      : self(self) {
    // nop
  }

  ~dead_letter_file_state() {
    if (out != nullptr)
      std::fclose(out);
  }

  caf::behavior make_behavior(dead_letter_file_config cfg);

  caf::stateful_actor<dead_letter_file_state>* self;
  dead_letter_file_config settings;
  std::optional<dead_letter_ledger> ledger;
  FILE* out = nullptr;
  uint64_t written = 0;

  /// Keeps the letters of records below the checkpoint's offsets.
  caf::error start() {
    ledger.emplace(settings.replay_from);
    std::map<int32_t, int64_t> floor;
    for (const auto& po : settings.replay_from)
      floor[po.partition] = po.next_offset;
    auto tmp = settings.path + ".tmp";
    size_t kept = 0;
    size_t dropped = 0;
    {
      std::ifstream in{settings.path};
      if (in) {
        std::ofstream keep{tmp, std::ios::trunc};
        if (!keep)
          return caf::make_error(caf::sec::runtime_error,
                                 "cannot write " + tmp + ": "
                                     + std::strerror(errno));
        std::string line;
        while (std::getline(in, line)) {
          int32_t p = 0;
          int64_t o = 0;
          bool good = !in.eof(); // a last line without '\n' was cut short
          auto it = good && parse_dead_letter_line(line, p, o) ? floor.find(p)
                                                               : floor.end();
          if (it != floor.end() && o < it->second) {
            keep << line << '\n';
            ++kept;
          } else {
            ++dropped;
          }
        }
        keep.flush();
        if (!keep)
          return caf::make_error(caf::sec::runtime_error,
                                 "cannot write " + tmp);
      }
    }
    if (kept + dropped > 0) {
      if (std::rename(tmp.c_str(), settings.path.c_str()) != 0)
        return caf::make_error(caf::sec::runtime_error,
                               "cannot replace " + settings.path + ": "
                                   + std::strerror(errno));
      logf(log_level::info, "dead_letter_file",
           "%zu dead letters in %s are durable with the checkpoint; %zu of "
           "records read again are dropped (they come back)",
           kept, settings.path.c_str(), dropped);
    }
    out = std::fopen(settings.path.c_str(), kept > 0 ? "ab" : "wb");
    if (out == nullptr)
      return caf::make_error(caf::sec::runtime_error,
                             "cannot write dead letters to " + settings.path
                                 + ": " + std::strerror(errno)
                                 + " (the directory of the input file must "
                                   "be writable, or pass --brokers to send "
                                   "them to the dead-letter topic)");
    return caf::none;
  }

  caf::error sync() {
    if (std::fflush(out) != 0 || ::fdatasync(::fileno(out)) != 0)
      return caf::make_error(caf::sec::runtime_error,
                             "cannot write dead letters to " + settings.path
                                 + ": " + std::strerror(errno));
    return caf::none;
  }
};

caf::behavior
dead_letter_file_state::make_behavior(dead_letter_file_config cfg) {
  settings = std::move(cfg);
  if (auto err = start()) {
    self->quit(std::move(err));
    return {};
  }
  return {
      [this](const dead_letter_batch& batch) {
        for (const auto& letter : batch.letters) {
          if (!ledger->admit(letter.partition, letter.offset))
            continue; // written before a restart of the source
          auto line = dead_letter_line(letter, settings.partitions);
          line += '\n';
          if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) {
            self->quit(caf::make_error(caf::sec::runtime_error,
                                       "cannot write dead letters to "
                                           + settings.path + ": "
                                           + std::strerror(errno)));
            return;
          }
          ++written;
          if (settings.metrics)
            settings.metrics->dead_letters(letter.reason).Increment();
        }
      },
      [this](atom::flush) -> caf::result<uint64_t> {
        if (auto err = sync())
          return err;
        return written;
      },
      [this](atom::flush, uint64_t) -> caf::result<dead_letter_positions> {
        // Every letter of a record before the checkpoint's barriers is in
        // the mailbox before this request: on disk before it commits.
        if (auto err = sync()) {
          self->quit(err);
          return err;
        }
        return dead_letter_positions{};
      },
      [this](const checkpoint_durable& msg) { ledger->durable(msg.offsets); },
  };
}

} // namespace

caf::actor spawn_dead_letter_file_actor(caf::actor_system& sys,
                                        dead_letter_file_config settings) {
  return spawn_stateful<dead_letter_file_state, caf::detached>(
      sys, std::move(settings));
}

} // namespace vigil
