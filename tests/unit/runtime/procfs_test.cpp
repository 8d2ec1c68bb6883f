#define BOOST_TEST_MODULE procfs
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/procfs.hpp"
#include "support/process.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path{path}.parent_path());
  std::ofstream{path} << text;
}

} // namespace

BOOST_AUTO_TEST_CASE(proc_locks_lines_yield_kind_access_pid_device_and_inode) {
  auto locks = parse_proc_locks(
      "1: POSIX  ADVISORY  WRITE 4242 fd:01:1234567 120 120\n"
      "1: -> POSIX  ADVISORY  WRITE 77 fd:01:1234567 120 120\n"
      "2: OFDLCK ADVISORY  READ  -1 00:2a:99 0 EOF\n"
      "garbage\n"
      "3: FLOCK  ADVISORY  WRITE 12 08:11:5 0 EOF\n");
  BOOST_REQUIRE_EQUAL(locks.size(), 3u);
  BOOST_TEST(locks[0].kind == "POSIX");
  BOOST_TEST(locks[0].write);
  BOOST_TEST(locks[0].pid == 4242);
  BOOST_TEST(locks[0].major == 0xfdu);
  BOOST_TEST(locks[0].minor == 1u);
  BOOST_TEST(locks[0].inode == 1234567u);
  BOOST_TEST(!locks[1].write);
  BOOST_TEST(locks[1].pid == -1);
  BOOST_TEST(locks[1].minor == 0x2au);
  BOOST_TEST(locks[2].kind == "FLOCK");
}

BOOST_AUTO_TEST_CASE(only_listen_sockets_on_the_asked_port_are_reported) {
  const std::string tcp
      = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
        "retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
        "00000000     0        0 111 1 0000000000000000 100 0 0 10 0\n"
        "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 "
        "00000000     0        0 222 1 0000000000000000 20 4 30 10 -1\n"
        "   2: 00000000:1092 00000000:0000 0A 00000000:00000000 00:00000000 "
        "00000000     0        0 333 1 0000000000000000 100 0 0 10 0\n";
  BOOST_TEST(listening_inodes(tcp, 8080) == std::vector<uint64_t>{111});
  BOOST_TEST(listening_inodes(tcp, 4242) == std::vector<uint64_t>{333});
  BOOST_TEST(listening_inodes(tcp, 9092).empty());
}

BOOST_AUTO_TEST_CASE(a_port_holder_is_found_through_its_socket_inode_in_proc) {
  test::temp_dir proc;
  write_file(proc.file("net/tcp"),
             "  sl  local_address rem_address   st tx_queue rx_queue tr "
             "tm->when retrnsmt   uid  timeout inode\n"
             "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
             "00:00000000 00000000     0        0 5150 1 0 100 0 0 10 0\n");
  write_file(proc.file("net/tcp6"), "header\n");
  write_file(proc.file("4711/cmdline"), std::string{"python3"} + '\0' + "-m"
                                            + '\0' + "http.server" + '\0'
                                            + "8080" + '\0');
  fs::create_directories(proc.file("4711/fd"));
  fs::create_symlink("socket:[5150]", proc.file("4711/fd/3"));
  fs::create_directories(proc.file("99/fd"));
  fs::create_symlink("socket:[1]", proc.file("99/fd/3"));
  auto holders = find_port_holders(8080, proc.path());
  BOOST_REQUIRE_EQUAL(holders.size(), 1u);
  BOOST_TEST(holders[0].pid == 4711);
  BOOST_TEST(holders[0].cmdline == "python3 -m http.server 8080");
  write_file(proc.file("4711/comm"), "python3\n");
  BOOST_TEST(process_name(proc.path(), 4711) == "python3");
  BOOST_TEST(process_name(proc.path(), 99).empty());
}
