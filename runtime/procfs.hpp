#pragma once

// Who holds a port or a file: the processes named by /proc (its locks, its
// listening sockets and every process's open descriptors). Used by the
// doctor and by the HTTP server to explain a failed bind.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

/// One line of /proc/locks.
struct lock_entry {
  /// Lock class: "POSIX", "FLOCK", "OFDLCK", ...
  std::string kind;
  /// True for a WRITE lock, false for READ.
  bool write = false;
  /// Owner pid (-1 for OFD locks).
  int64_t pid = -1;
  /// Device major number.
  unsigned major = 0;
  /// Device minor number.
  unsigned minor = 0;
  /// Inode number.
  uint64_t inode = 0;
};

/// Parses the text of /proc/locks; malformed lines are skipped.
std::vector<lock_entry> parse_proc_locks(std::string_view text);

/// Inodes of the sockets LISTENing on `port` in a /proc/net/tcp or tcp6 text.
std::vector<uint64_t> listening_inodes(std::string_view proc_net_tcp,
                                       uint16_t port);

/// A process that holds a file lock or a socket.
struct holder {
  /// Process id.
  int64_t pid = 0;
  /// Its command line, arguments separated by spaces ("?" if unreadable).
  std::string cmdline;
  /// What it holds, e.g. "WRITE lock on vigil.db-shm".
  std::string what;
};

/// Processes holding POSIX/flock locks on `path` or its -wal, -shm and
/// -journal files, writers first; falls back to processes that have one of
/// these files open.
std::vector<holder> find_lock_holders(const std::string& path,
                                      const std::string& proc_root = "/proc");

/// Processes with a socket LISTENing on `port` (IPv4 or IPv6).
std::vector<holder> find_port_holders(uint16_t port,
                                      const std::string& proc_root = "/proc");

/// The command line of `pid`, arguments separated by spaces, or "?".
std::string process_cmdline(const std::string& proc_root, int64_t pid);

/// The name of `pid` (its comm), or "" if unreadable.
std::string process_name(const std::string& proc_root, int64_t pid);

} // namespace vigil
