#include "actors/ingest/line_reader.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace vigil {

namespace {

bool ends_with_gz(const std::string& path) {
  return path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
}

} // namespace

// -- chunk_reader -------------------------------------------------------------

struct chunk_reader::impl {
  int fd = -1;
  gzFile gz = nullptr;
  size_t chunk = default_chunk_size;
  std::string path;

  ~impl() {
    if (gz != nullptr)
      gzclose(gz); // closes fd too
    else if (fd >= 0)
      ::close(fd);
  }
};

chunk_reader::chunk_reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {
  // nop
}

chunk_reader::chunk_reader(chunk_reader&&) noexcept = default;

chunk_reader& chunk_reader::operator=(chunk_reader&&) noexcept = default;

chunk_reader::~chunk_reader() = default;

expected<chunk_reader> chunk_reader::open(const std::string& path,
                                          size_t chunk_size) {
  auto p = std::make_unique<impl>();
  p->path = path;
  p->chunk = chunk_size == 0 ? default_chunk_size : chunk_size;
  p->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (p->fd < 0)
    return make_error_text("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(p->fd, &st) != 0 || S_ISDIR(st.st_mode))
    return make_error_text(path + " is a directory, not a file of events");
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(p->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  if (ends_with_gz(path)) {
    p->gz = gzdopen(p->fd, "rb");
    if (p->gz == nullptr)
      return make_error_text("cannot read " + path + " through zlib");
    // zlib's input buffer: large reads of the compressed file.
    gzbuffer(p->gz, 1u << 20);
  }
  return chunk_reader{std::move(p)};
}

expected<size_t> chunk_reader::read(std::string& out) {
  auto& p = *impl_;
  auto old = out.size();
  out.resize(old + p.chunk);
  char* dst = out.data() + old;
  size_t got = 0;
  // Fill the whole chunk unless the file ends: fewer, larger chunks.
  while (got < p.chunk) {
    if (p.gz != nullptr) {
      auto want
          = static_cast<unsigned>(std::min<size_t>(p.chunk - got, 1u << 30));
      int n = gzread(p.gz, dst + got, want);
      if (n < 0) {
        int code = 0;
        const char* msg = gzerror(p.gz, &code);
        out.resize(old + got);
        return make_error_text("cannot decompress " + p.path + ": "
                               + (msg != nullptr ? msg : "zlib error"));
      }
      if (n == 0) {
        int code = 0;
        gzerror(p.gz, &code);
        if (code != Z_OK && code != Z_BUF_ERROR) {
          out.resize(old + got);
          return make_error_text("cannot decompress " + p.path);
        }
        if (code == Z_BUF_ERROR) {
          out.resize(old + got);
          return make_error_text(p.path
                                 + " ends inside its gzip stream (a "
                                   "truncated file)");
        }
        break;
      }
      got += static_cast<size_t>(n);
    } else {
      auto n = ::read(p.fd, dst + got, p.chunk - got);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        out.resize(old + got);
        return make_error_text("cannot read " + p.path + ": "
                               + std::strerror(errno));
      }
      if (n == 0)
        break;
      got += static_cast<size_t>(n);
    }
  }
  out.resize(old + got);
  return got;
}

bool chunk_reader::compressed() const noexcept {
  return impl_->gz != nullptr;
}

size_t chunk_reader::chunk_size() const noexcept {
  return impl_->chunk;
}

// -- line_writer --------------------------------------------------------------

struct line_writer::impl {
  FILE* file = nullptr;
  gzFile gz = nullptr;
  std::string path;
  bool failed = false;

  ~impl() {
    if (gz != nullptr)
      gzclose(gz);
    if (file != nullptr && file != stdout)
      std::fclose(file);
  }
};

line_writer::line_writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {
  // nop
}

line_writer::line_writer(line_writer&&) noexcept = default;

line_writer& line_writer::operator=(line_writer&&) noexcept = default;

line_writer::~line_writer() = default;

expected<line_writer> line_writer::create(const std::string& path) {
  auto p = std::make_unique<impl>();
  p->path = path;
  if (path == "-") {
    p->file = stdout;
  } else if (ends_with_gz(path)) {
    // Level 1: compression keeps up with the generator.
    p->gz = gzopen(path.c_str(), "wb1");
    if (p->gz == nullptr)
      return make_error_text("cannot create " + path + ": "
                             + std::strerror(errno));
    gzbuffer(p->gz, 1u << 20);
  } else {
    p->file = std::fopen(path.c_str(), "wb");
    if (p->file == nullptr)
      return make_error_text("cannot create " + path + ": "
                             + std::strerror(errno));
    std::setvbuf(p->file, nullptr, _IOFBF, 1u << 20);
  }
  return line_writer{std::move(p)};
}

status line_writer::write(std::string_view line) {
  auto& p = *impl_;
  if (p.failed)
    return make_error_text("cannot write " + p.path);
  if (p.gz != nullptr) {
    if ((!line.empty()
         && gzwrite(p.gz, line.data(), static_cast<unsigned>(line.size())) == 0)
        || gzputc(p.gz, '\n') < 0)
      p.failed = true;
  } else if (std::fwrite(line.data(), 1, line.size(), p.file) != line.size()
             || std::fputc('\n', p.file) == EOF) {
    p.failed = true;
  }
  if (p.failed)
    return make_error_text("cannot write " + p.path + ": "
                           + std::strerror(errno));
  return {};
}

status line_writer::close() {
  auto& p = *impl_;
  bool ok = !p.failed;
  if (p.gz != nullptr) {
    ok = gzclose(p.gz) == Z_OK && ok;
    p.gz = nullptr;
  } else if (p.file != nullptr) {
    ok = std::fflush(p.file) == 0 && ok;
    if (p.file != stdout)
      ok = std::fclose(p.file) == 0 && ok;
    p.file = nullptr;
  }
  if (!ok)
    return make_error_text("cannot write " + p.path + ": "
                           + std::strerror(errno));
  return {};
}

} // namespace vigil
