#include "runtime/procfs.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace vigil {

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

/// Calls `fn(pid, fd_target)` for every open file descriptor of every process
/// readable under `proc_root`.
template <class F>
void for_each_fd(const std::string& proc_root, F fn) {
  std::error_code ec;
  for (fs::directory_iterator it{proc_root, ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return c >= '0' && c <= '9';
        }))
      continue;
    auto pid = std::stoll(name);
    std::error_code fd_ec;
    for (fs::directory_iterator fd{it->path() / "fd", fd_ec}, fd_end;
         !fd_ec && fd != fd_end; fd.increment(fd_ec)) {
      std::error_code link_ec;
      auto target = fs::read_symlink(fd->path(), link_ec);
      if (!link_ec)
        fn(pid, target.string());
    }
  }
}

/// The files SQLite uses for a database: the file, -wal, -shm, -journal.
std::vector<std::string> sqlite_files(const std::string& path) {
  return {path, path + "-wal", path + "-shm", path + "-journal"};
}

} // namespace

std::vector<lock_entry> parse_proc_locks(std::string_view text) {
  std::vector<lock_entry> out;
  std::istringstream in{std::string{text}};
  std::string line;
  while (std::getline(in, line)) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; blocked waiters
    // are listed as "1: -> POSIX ..." and hold nothing.
    std::istringstream fields{line};
    std::string id;
    std::string kind;
    std::string mode;
    std::string access;
    std::string pid;
    std::string dev;
    if (!(fields >> id >> kind) || kind == "->")
      continue;
    if (!(fields >> mode >> access >> pid >> dev))
      continue;
    lock_entry e;
    e.kind = kind;
    e.write = access == "WRITE";
    unsigned long long inode = 0;
    if (std::sscanf(dev.c_str(), "%x:%x:%llu", &e.major, &e.minor, &inode) != 3)
      continue;
    e.inode = inode;
    try {
      e.pid = std::stoll(pid);
    } catch (...) {
      continue;
    }
    out.push_back(e);
  }
  return out;
}

std::vector<uint64_t> listening_inodes(std::string_view proc_net_tcp,
                                       uint16_t port) {
  std::vector<uint64_t> out;
  std::istringstream in{std::string{proc_net_tcp}};
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    std::istringstream fields{line};
    std::string sl;
    std::string local;
    std::string remote;
    std::string state;
    std::string queues;
    std::string timer;
    std::string retr;
    std::string uid;
    std::string timeout;
    unsigned long long inode = 0;
    if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retr
          >> uid >> timeout >> inode))
      continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A")
      continue;
    unsigned long local_port
        = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
    if (local_port == port)
      out.push_back(inode);
  }
  return out;
}

std::string process_cmdline(const std::string& proc_root, int64_t pid) {
  auto raw = read_all(proc_root + "/" + std::to_string(pid) + "/cmdline");
  while (!raw.empty() && raw.back() == '\0')
    raw.pop_back();
  if (raw.empty())
    return "?";
  std::replace(raw.begin(), raw.end(), '\0', ' ');
  return raw;
}

std::vector<holder> find_lock_holders(const std::string& path,
                                      const std::string& proc_root) {
  struct file_id {
    std::string name;
    unsigned major;
    unsigned minor;
    uint64_t inode;
  };
  std::vector<file_id> files;
  std::set<std::string> canonical;
  for (const auto& f : sqlite_files(path)) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0)
      continue;
    files.push_back({fs::path{f}.filename().string(), major(st.st_dev),
                     minor(st.st_dev), static_cast<uint64_t>(st.st_ino)});
    std::error_code ec;
    canonical.insert(fs::canonical(f, ec).string());
  }
  std::vector<holder> out;
  std::set<std::pair<int64_t, std::string>> seen;
  auto locks = parse_proc_locks(read_all(proc_root + "/locks"));
  // Writers first: they are the ones that block BEGIN IMMEDIATE.
  std::stable_sort(
      locks.begin(), locks.end(),
      [](const auto& a, const auto& b) { return a.write && !b.write; });
  for (const auto& l : locks) {
    for (const auto& f : files) {
      // Some file systems (overlayfs) report another device in /proc/locks
      // than stat does: match the inode only.
      if (l.inode != f.inode || l.pid <= 0)
        continue;
      auto what
          = std::string{l.write ? "a WRITE" : "a READ"} + " lock on " + f.name;
      if (!seen.emplace(l.pid, what).second)
        continue;
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const holder& h) { return h.pid == l.pid; });
      if (same != out.end())
        same->what += ", " + what;
      else
        out.push_back({l.pid, process_cmdline(proc_root, l.pid), what});
    }
  }
  if (!out.empty())
    return out;
  // OFD locks carry no pid (-1): name the processes that have the files open.
  for_each_fd(proc_root, [&](int64_t pid, const std::string& target) {
    if (canonical.count(target) != 0 && pid != ::getpid()
        && seen.emplace(pid, target).second)
      out.push_back(
          {pid, process_cmdline(proc_root, pid),
           "an open descriptor of " + fs::path{target}.filename().string()});
  });
  return out;
}

std::vector<holder> find_port_holders(uint16_t port,
                                      const std::string& proc_root) {
  std::set<std::string> sockets;
  for (const char* table : {"/net/tcp", "/net/tcp6"})
    for (auto inode : listening_inodes(read_all(proc_root + table), port))
      sockets.insert("socket:[" + std::to_string(inode) + "]");
  std::vector<holder> out;
  if (sockets.empty())
    return out;
  std::set<int64_t> seen;
  for_each_fd(proc_root, [&](int64_t pid, const std::string& target) {
    if (sockets.count(target) != 0 && seen.insert(pid).second)
      out.push_back({pid, process_cmdline(proc_root, pid),
                     "a LISTEN socket on port " + std::to_string(port)});
  });
  return out;
}

std::string process_name(const std::string& proc_root, int64_t pid) {
  std::string name;
  std::ifstream comm{proc_root + "/" + std::to_string(pid) + "/comm"};
  std::getline(comm, name);
  return name;
}

} // namespace vigil
