#define BOOST_TEST_MODULE membership
#include <boost/test/unit_test.hpp>

#include <vector>

#include "actors/cluster/membership.hpp"

using namespace vigil;

using parts = std::vector<int32_t>;

BOOST_AUTO_TEST_CASE(runs_only_when_every_partition_has_exactly_one_owner) {
  cluster_membership m{100};
  BOOST_CHECK(!m.covered()); // topic size unknown
  m.join("a", 4);
  m.join("b", 4);
  BOOST_CHECK(!m.covered());
  BOOST_CHECK(m.unowned() == (parts{0, 1, 2, 3}));
  m.report("a", {1, 0}, 4);
  BOOST_CHECK(!m.covered());
  BOOST_CHECK(m.unowned() == (parts{2, 3}));
  m.report("b", {2, 3}, 4);
  BOOST_CHECK(m.covered());
  BOOST_CHECK(m.owned() == (parts{0, 1, 2, 3}));
  BOOST_CHECK_EQUAL(m.owner(2), "b");
  BOOST_CHECK(m.partitions_of("a") == (parts{0, 1}));
}

BOOST_AUTO_TEST_CASE(a_partition_reported_twice_is_contested_until_revoked) {
  cluster_membership m{1};
  m.join("a", 2);
  m.join("b", 2);
  m.report("a", {0, 1}, 2);
  m.report("b", {1}, 2); // b's assignment arrived before a's revocation
  BOOST_CHECK(!m.covered());
  BOOST_CHECK(m.contested() == (parts{1}));
  BOOST_CHECK_EQUAL(m.owner(1), "");
  m.report("a", {0}, 2);
  BOOST_CHECK(m.covered());
  BOOST_CHECK_EQUAL(m.owner(1), "b");
}

BOOST_AUTO_TEST_CASE(a_lost_node_leaves_its_partitions_unowned) {
  cluster_membership m{1};
  m.join("a", 2);
  m.join("b", 2);
  m.report("a", {0}, 2);
  m.report("b", {1}, 2);
  BOOST_CHECK(m.covered());
  BOOST_CHECK(m.leave("b"));
  BOOST_CHECK(!m.leave("b"));
  BOOST_CHECK(!m.covered());
  BOOST_CHECK(m.unowned() == (parts{1}));
  // A reconnecting node starts with nothing until it reports.
  m.report("a", {0, 1}, 2);
  m.join("a", 2);
  BOOST_CHECK(m.partitions_of("a").empty());
}

BOOST_AUTO_TEST_CASE(generations_increase_from_the_first_and_never_repeat) {
  cluster_membership m{5000};
  BOOST_CHECK_EQUAL(m.generation(), 0u);
  BOOST_CHECK_EQUAL(m.next_generation(), 5000u);
  BOOST_CHECK_EQUAL(m.next_generation(), 5001u);
  BOOST_CHECK_EQUAL(m.generation(), 5001u);
}

BOOST_AUTO_TEST_CASE(the_largest_reported_topic_size_counts) {
  cluster_membership m{1};
  m.join("a", -1);
  m.report("a", {0, 1}, 2);
  BOOST_CHECK(m.covered());
  m.report("a", {0, 1}, 3); // the topic grew
  BOOST_CHECK(!m.covered());
  BOOST_CHECK(m.unowned() == (parts{2}));
}
