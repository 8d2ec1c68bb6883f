#pragma once

// Reading a file of JSON lines in large chunks (plain or gzip-compressed) and
// splitting the chunks into lines without copying them: the file source's
// input (actors/ingest/file_source.hpp). Free of CAF.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/expected.hpp"

namespace vigil {

/// Reads a file in chunks of up to `chunk_size` bytes: through zlib if its
/// name ends in ".gz", else with plain read(2) calls.
class chunk_reader {
public:
  /// Default chunk size: 4 MiB.
  static constexpr size_t default_chunk_size = size_t{4} << 20;

  /// Opens `path`; the error says what is wrong (missing, unreadable, not a
  /// regular file).
  static expected<chunk_reader> open(const std::string& path,
                                     size_t chunk_size = default_chunk_size);

  chunk_reader(chunk_reader&&) noexcept;
  chunk_reader& operator=(chunk_reader&&) noexcept;
  ~chunk_reader();

  /// Appends up to the chunk size of the next (decompressed) bytes to `out`;
  /// returns how many, 0 at the end of the file, or an error (a read error,
  /// a corrupt or truncated gzip stream).
  expected<size_t> read(std::string& out);

  /// Whether the file is read through zlib.
  bool compressed() const noexcept;

  /// The chunk size.
  size_t chunk_size() const noexcept;

private:
  struct impl;
  explicit chunk_reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// Splits a stream of bytes, handed over in chunks, into lines. A line ends
/// at '\n'; a '\r' before it is dropped (CRLF files). Lines inside a chunk
/// are views into it (no copy); only a line that spans chunks is copied into
/// a carry buffer. The last line of the stream needs no '\n'.
class line_splitter {
public:
  /// Feeds the next chunk and calls `fn(std::string_view line)` for every
  /// line completed in it, empty lines included, in order. The views are
  /// valid during the call only. Returns the number of lines completed.
  template <class F>
  size_t feed(std::string_view chunk, F&& fn) {
    size_t lines = 0;
    size_t pos = 0;
    if (carrying_) {
      auto nl = chunk.find('\n');
      if (nl == std::string_view::npos) {
        carry_.append(chunk);
        carrying_ = true;
        return 0;
      }
      carry_.append(chunk.data(), nl);
      fn(strip(carry_));
      ++lines;
      carry_.clear();
      carrying_ = false;
      pos = nl + 1;
    }
    const char* data = chunk.data();
    const size_t size = chunk.size();
    while (pos < size) {
      const void* hit = std::memchr(data + pos, '\n', size - pos);
      if (hit == nullptr) {
        carry_.assign(data + pos, size - pos);
        carrying_ = true;
        return lines;
      }
      auto nl = static_cast<size_t>(static_cast<const char*>(hit) - data);
      fn(strip(std::string_view{data + pos, nl - pos}));
      ++lines;
      pos = nl + 1;
    }
    return lines;
  }

  /// The end of the stream: calls `fn` for a last line without '\n', if
  /// any; returns whether there was one.
  template <class F>
  bool finish(F&& fn) {
    if (!carrying_)
      return false;
    fn(strip(carry_));
    carry_.clear();
    carrying_ = false;
    return true;
  }

  /// Bytes of an unfinished line held over from earlier chunks.
  size_t carried() const noexcept {
    return carry_.size();
  }

private:
  static std::string_view strip(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    return line;
  }

  std::string carry_;
  bool carrying_ = false;
};

/// Writes lines to a file, through zlib if its name ends in ".gz"; "-" is
/// standard output. Used by `vigil generate --output`.
class line_writer {
public:
  /// Creates (truncates) `path`.
  static expected<line_writer> create(const std::string& path);

  line_writer(line_writer&&) noexcept;
  line_writer& operator=(line_writer&&) noexcept;
  ~line_writer();

  /// Writes `line` and a '\n' (buffered).
  status write(std::string_view line);

  /// Flushes and closes the file; the error of a failed write or close.
  status close();

private:
  struct impl;
  explicit line_writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace vigil
