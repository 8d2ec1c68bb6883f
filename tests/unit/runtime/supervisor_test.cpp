#define BOOST_TEST_MODULE supervisor
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/after.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "runtime/error.hpp"
#include "runtime/supervisor.hpp"
#include "support/caf_fixture.hpp"

using namespace std::chrono_literals;
using vigil::child_spec;
using vigil::child_status;
using vigil::restart_policy;
using vigil::restart_strategy;
using vigil::supervisor_event;
using vigil::supervisor_spec;

namespace {

/// Compares code and category; prints both errors on failure.
boost::test_tools::assertion_result has_code(const caf::error& x,
                                             const caf::error& expected) {
  boost::test_tools::assertion_result result{x == expected};
  result.message() << "got " << caf::to_string(x) << ", expected "
                   << caf::to_string(expected);
  return result;
}

using crash_atom = caf::atom_constant<caf::atom("crash")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;

/// Throws on `crash`, quits normally on `finish`; logs its name on exit.
caf::behavior worker(caf::event_based_actor* self, const std::string& name,
                     const std::shared_ptr<std::vector<std::string>>& exits) {
  self->attach_functor(
      [name, exits](const caf::error&) { exits->push_back(name); });
  return {
      [](crash_atom) { throw std::runtime_error("crash requested"); },
      [self](finish_atom) { self->quit(); },
  };
}

/// Like worker, but ignores exit messages (only kill stops it). Takes an
/// argument because spawning a function without arguments binds a reference to
/// a null pointer inside CAF 0.17.6 (UBSan aborts).
caf::behavior stubborn_worker(caf::event_based_actor* self,
                              const std::string&) {
  self->set_exit_handler([](caf::exit_msg&) {
    // nop
  });
  return {
      [](crash_atom) { throw std::runtime_error("crash requested"); },
  };
}

struct fixture : vigil::test::caf_fixture {
  caf::scoped_actor self{sys};
  std::vector<supervisor_event> events;
  std::map<std::string, int> starts;
  std::shared_ptr<std::vector<std::string>> exits
      = std::make_shared<std::vector<std::string>>();
  std::vector<caf::actor> roots;

  ~fixture() {
    for (auto& root : roots)
      caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    run();
    advance(1h);
  }

  child_spec worker_spec(const std::string& name,
                         restart_policy policy = restart_policy::permanent) {
    child_spec spec;
    spec.name = name;
    spec.policy = policy;
    spec.start = [this, name](caf::actor_system& sys) {
      ++starts[name];
      return sys.spawn(worker, name, exits);
    };
    return spec;
  }

  supervisor_spec make_spec(const std::string& name, restart_strategy strategy,
                            std::vector<child_spec> children) {
    supervisor_spec spec;
    spec.name = name;
    spec.strategy = strategy;
    spec.backoff.min = 100ms;
    spec.backoff.max = 10s;
    spec.backoff.factor = 2.0;
    spec.backoff.random_factor = 0.0;
    spec.backoff.reset_after = 30s;
    spec.max_restarts = 3;
    spec.period = 60s;
    spec.seed = 42;
    spec.children = std::move(children);
    spec.on_event = [this](const supervisor_event& e) { events.push_back(e); };
    return spec;
  }

  caf::actor spawn_root(supervisor_spec spec) {
    auto root = vigil::spawn_supervisor_actor(sys, std::move(spec));
    roots.push_back(root);
    run();
    return root;
  }

  std::vector<child_status> children(const caf::actor& sup) {
    self->send(sup, vigil::atom::children_v);
    run();
    std::vector<child_status> result;
    self->receive(
        [&](std::vector<child_status>& xs) { result = std::move(xs); },
        caf::after(0s) >> [] { BOOST_FAIL("no children response"); });
    return result;
  }

  child_status child(const caf::actor& sup, const std::string& name) {
    for (auto& x : children(sup))
      if (x.name == name)
        return x;
    BOOST_FAIL("no child named " << name);
    return {};
  }

  bool has_child(const caf::actor& sup, const std::string& name) {
    for (auto& x : children(sup))
      if (x.name == name)
        return true;
    return false;
  }

  /// Waits (without time passing) for the down message of `who`, which the
  /// scoped actor must monitor.
  caf::error down_reason(const caf::actor& who) {
    caf::error result;
    bool done = false;
    while (!done)
      self->receive(
          [&](caf::down_msg& msg) {
            if (msg.source == who.address()) {
              result = std::move(msg.reason);
              done = true;
            }
          },
          caf::after(0s) >>
              [&] {
                BOOST_FAIL("no down message");
                done = true;
              });
    return result;
  }

  size_t count(supervisor_event::kind_t kind, const std::string& child) {
    size_t n = 0;
    for (auto& e : events)
      if (e.kind == kind && e.child == child)
        ++n;
    return n;
  }

  const supervisor_event* last(supervisor_event::kind_t kind,
                               const std::string& child) {
    for (auto i = events.rbegin(); i != events.rend(); ++i)
      if (i->kind == kind && i->child == child)
        return &*i;
    return nullptr;
  }

  void crash(const caf::actor& who) {
    caf::anon_send(who, crash_atom::value);
    run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(supervisor, fixture)

BOOST_AUTO_TEST_CASE(
    an_exception_in_a_handler_terminates_the_actor_abnormally) {
  auto w = sys.spawn(worker, std::string{"w"}, exits);
  self->monitor(w);
  crash(w);
  auto reason = down_reason(w);
  BOOST_TEST(has_code(reason, caf::sec::runtime_error));
  BOOST_TEST(!has_code(reason, caf::exit_reason::normal));
}

BOOST_AUTO_TEST_CASE(children_start_in_order_and_are_reported) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one,
                                  {worker_spec("a"), worker_spec("b")}));
  auto xs = children(sup);
  BOOST_REQUIRE_EQUAL(xs.size(), 2u);
  BOOST_TEST(xs[0].name == "a");
  BOOST_TEST(xs[1].name == "b");
  BOOST_TEST(xs[0].alive);
  BOOST_TEST(static_cast<bool>(xs[0].actor));
  BOOST_TEST(xs[0].restarts == 0u);
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_TEST(events[0].kind == supervisor_event::started);
  BOOST_TEST(events[0].child == "a");
  BOOST_TEST(events[0].supervisor == "root");
  BOOST_TEST(events[1].child == "b");
}

BOOST_AUTO_TEST_CASE(a_crashed_child_is_restarted_only_after_the_backoff) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one,
                                  {worker_spec("a"), worker_spec("b")}));
  auto old_a = child(sup, "a").actor;
  crash(old_a);
  BOOST_TEST(count(supervisor_event::failed, "a") == 1u);
  auto restarting = last(supervisor_event::restarting, "a");
  BOOST_REQUIRE(restarting != nullptr);
  BOOST_TEST(restarting->delay.count() == 100);
  BOOST_TEST(restarting->restarts == 1u);
  BOOST_TEST(restarting->reason.find("runtime_error") != std::string::npos);
  BOOST_TEST(!child(sup, "a").alive);
  advance(99ms);
  BOOST_TEST(!child(sup, "a").alive);
  BOOST_TEST(starts["a"] == 1);
  BOOST_TEST(count(supervisor_event::restarted, "a") == 0u);
  advance(1ms);
  auto a = child(sup, "a");
  BOOST_TEST(a.alive);
  BOOST_TEST(a.restarts == 1u);
  BOOST_TEST((a.actor != old_a));
  BOOST_TEST(starts["a"] == 2);
  BOOST_TEST(count(supervisor_event::restarted, "a") == 1u);
  // The next failure waits twice as long.
  crash(a.actor);
  BOOST_TEST(last(supervisor_event::restarting, "a")->delay.count() == 200);
  advance(199ms);
  BOOST_TEST(!child(sup, "a").alive);
  advance(1ms);
  BOOST_TEST(child(sup, "a").alive);
  BOOST_TEST(child(sup, "a").restarts == 2u);
}

BOOST_AUTO_TEST_CASE(one_for_one_keeps_siblings_running) {
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one,
                {worker_spec("a"), worker_spec("b"), worker_spec("c")}));
  auto before = children(sup);
  crash(before[1].actor);
  advance(100ms);
  auto after = children(sup);
  BOOST_TEST((after[0].actor == before[0].actor));
  BOOST_TEST((after[1].actor != before[1].actor));
  BOOST_TEST((after[2].actor == before[2].actor));
  BOOST_TEST(after[0].restarts == 0u);
  BOOST_TEST(after[1].restarts == 1u);
  BOOST_TEST(after[2].restarts == 0u);
  BOOST_TEST(starts["a"] == 1);
  BOOST_TEST(starts["c"] == 1);
  BOOST_TEST(*exits == std::vector<std::string>{"b"});
}

BOOST_AUTO_TEST_CASE(rest_for_one_restarts_the_failed_child_and_later_ones) {
  auto sup = spawn_root(make_spec("root", restart_strategy::rest_for_one,
                                  {worker_spec("a"), worker_spec("b"),
                                   worker_spec("c"), worker_spec("d")}));
  auto before = children(sup);
  self->monitor(before[2].actor);
  self->monitor(before[3].actor);
  crash(before[1].actor);
  // The later children are stopped right away, last first.
  BOOST_TEST(
      has_code(down_reason(before[3].actor), caf::exit_reason::user_shutdown));
  BOOST_TEST(
      has_code(down_reason(before[2].actor), caf::exit_reason::user_shutdown));
  BOOST_TEST(*exits == (std::vector<std::string>{"b", "d", "c"}));
  auto during = children(sup);
  BOOST_TEST(during[0].alive);
  BOOST_TEST(!during[1].alive);
  BOOST_TEST(!during[2].alive);
  BOOST_TEST(!during[3].alive);
  advance(99ms);
  BOOST_TEST(!child(sup, "c").alive);
  advance(1ms);
  auto after = children(sup);
  BOOST_TEST((after[0].actor == before[0].actor));
  for (size_t i = 1; i < 4; ++i) {
    BOOST_TEST(after[i].alive);
    BOOST_TEST((after[i].actor != before[i].actor));
    BOOST_TEST(after[i].restarts == 1u);
  }
  BOOST_TEST(starts["a"] == 1);
  BOOST_TEST(starts["d"] == 2);
  // One failure, one restart counted, no failure reported for c and d.
  BOOST_TEST(count(supervisor_event::failed, "c") == 0u);
  BOOST_TEST(count(supervisor_event::restarted, "c") == 1u);
}

BOOST_AUTO_TEST_CASE(too_many_restarts_within_the_period_escalate) {
  auto spec = make_spec("root", restart_strategy::one_for_one,
                        {worker_spec("a"), worker_spec("b")});
  spec.max_restarts = 2;
  auto sup = spawn_root(std::move(spec));
  self->monitor(sup);
  auto b = child(sup, "b").actor;
  self->monitor(b);
  crash(child(sup, "a").actor);
  advance(100ms);
  crash(child(sup, "a").actor);
  advance(200ms);
  auto a = child(sup, "a").actor;
  self->monitor(a);
  crash(a);
  BOOST_TEST(count(supervisor_event::escalated, "a") == 1u);
  BOOST_TEST(has_code(down_reason(a), caf::sec::runtime_error));
  BOOST_TEST(has_code(down_reason(b), caf::exit_reason::user_shutdown));
  auto reason = down_reason(sup);
  BOOST_TEST(has_code(reason, vigil::ec::restart_intensity_exceeded));
  BOOST_TEST(reason.category() == caf::atom("vigil"));
  auto text = caf::to_string(reason);
  BOOST_TEST(text.find("\"a\"") != std::string::npos, text);
  BOOST_TEST(text.find("runtime_error") != std::string::npos, text);
  BOOST_TEST(starts["a"] == 3);
  BOOST_TEST(count(supervisor_event::stopped, "b") == 1u);
}

BOOST_AUTO_TEST_CASE(restarts_spread_beyond_the_period_do_not_escalate) {
  auto spec
      = make_spec("root", restart_strategy::one_for_one, {worker_spec("a")});
  spec.max_restarts = 1;
  spec.period = 1s;
  auto sup = spawn_root(std::move(spec));
  for (int i = 0; i < 5; ++i) {
    crash(child(sup, "a").actor);
    advance(2s);
  }
  BOOST_TEST(count(supervisor_event::escalated, "a") == 0u);
  BOOST_TEST(child(sup, "a").alive);
  BOOST_TEST(child(sup, "a").restarts == 5u);
}

BOOST_AUTO_TEST_CASE(a_child_stable_for_reset_after_restarts_at_min_delay) {
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one, {worker_spec("a")}));
  crash(child(sup, "a").actor);
  advance(100ms);
  crash(child(sup, "a").actor);
  BOOST_TEST(last(supervisor_event::restarting, "a")->delay.count() == 200);
  advance(200ms);
  advance(30s);
  crash(child(sup, "a").actor);
  BOOST_TEST(last(supervisor_event::restarting, "a")->delay.count() == 100);
}

BOOST_AUTO_TEST_CASE(nested_escalation_makes_the_parent_restart_the_subtree) {
  auto inner = make_spec("inner", restart_strategy::one_for_one,
                         {worker_spec("w1"), worker_spec("w2")});
  inner.max_restarts = 0;
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one,
                {worker_spec("x"), vigil::supervisor_child(inner)}));
  auto x = child(sup, "x").actor;
  auto old_inner = child(sup, "inner").actor;
  auto old_w1 = child(old_inner, "w1").actor;
  auto old_w2 = child(old_inner, "w2").actor;
  self->monitor(old_w2);
  crash(old_w1);
  BOOST_TEST(count(supervisor_event::escalated, "w1") == 1u);
  BOOST_TEST(has_code(down_reason(old_w2), caf::exit_reason::user_shutdown));
  auto failed = last(supervisor_event::failed, "inner");
  BOOST_REQUIRE(failed != nullptr);
  BOOST_TEST(failed->supervisor == "root");
  BOOST_TEST(failed->reason.find("w1") != std::string::npos, failed->reason);
  BOOST_TEST(!child(sup, "inner").alive);
  advance(100ms);
  auto new_inner = child(sup, "inner");
  BOOST_TEST(new_inner.alive);
  BOOST_TEST((new_inner.actor != old_inner));
  BOOST_TEST(new_inner.restarts == 1u);
  auto subtree = children(new_inner.actor);
  BOOST_REQUIRE_EQUAL(subtree.size(), 2u);
  BOOST_TEST((subtree[0].actor != old_w1));
  BOOST_TEST((subtree[1].actor != old_w2));
  BOOST_TEST(subtree[0].restarts == 0u);
  BOOST_TEST(starts["w1"] == 2);
  BOOST_TEST(starts["w2"] == 2);
  BOOST_TEST((child(sup, "x").actor == x));
}

BOOST_AUTO_TEST_CASE(a_transient_child_exiting_normally_is_not_restarted) {
  auto sup = spawn_root(make_spec(
      "root", restart_strategy::one_for_one,
      {worker_spec("t", restart_policy::transient), worker_spec("a")}));
  caf::anon_send(child(sup, "t").actor, finish_atom::value);
  run();
  advance(1min);
  BOOST_TEST(!has_child(sup, "t"));
  BOOST_TEST(starts["t"] == 1);
  BOOST_TEST(count(supervisor_event::stopped, "t") == 1u);
  BOOST_TEST(count(supervisor_event::restarting, "t") == 0u);
  BOOST_TEST(last(supervisor_event::stopped, "t")->reason
             == "exit_reason(normal)");
}

BOOST_AUTO_TEST_CASE(a_transient_child_crashing_is_restarted) {
  auto sup
      = spawn_root(make_spec("root", restart_strategy::one_for_one,
                             {worker_spec("t", restart_policy::transient)}));
  crash(child(sup, "t").actor);
  advance(100ms);
  BOOST_TEST(child(sup, "t").alive);
  BOOST_TEST(starts["t"] == 2);
}

BOOST_AUTO_TEST_CASE(a_permanent_child_exiting_normally_is_restarted) {
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one, {worker_spec("p")}));
  caf::anon_send(child(sup, "p").actor, finish_atom::value);
  run();
  advance(100ms);
  BOOST_TEST(child(sup, "p").alive);
  BOOST_TEST(starts["p"] == 2);
}

BOOST_AUTO_TEST_CASE(a_temporary_child_is_forgotten_when_it_crashes) {
  auto sup = spawn_root(make_spec(
      "root", restart_strategy::one_for_one,
      {worker_spec("tmp", restart_policy::temporary), worker_spec("a")}));
  crash(child(sup, "tmp").actor);
  advance(1min);
  BOOST_TEST(!has_child(sup, "tmp"));
  BOOST_TEST(starts["tmp"] == 1);
}

BOOST_AUTO_TEST_CASE(a_child_stopped_with_stop_child_is_not_restarted) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one,
                                  {worker_spec("a"), worker_spec("b")}));
  auto a = child(sup, "a").actor;
  self->monitor(a);
  bool ok = false;
  auto response = self->request(sup, caf::infinite, vigil::atom::stop_child_v,
                                std::string{"a"});
  run();
  response.receive([&] { ok = true; },
                   [](caf::error& err) { BOOST_FAIL(caf::to_string(err)); });
  BOOST_TEST(ok);
  BOOST_TEST(has_code(down_reason(a), caf::exit_reason::user_shutdown));
  advance(1min);
  BOOST_TEST(!has_child(sup, "a"));
  BOOST_TEST(starts["a"] == 1);
  BOOST_TEST(count(supervisor_event::restarting, "a") == 0u);
  BOOST_TEST(child(sup, "b").alive);
}

BOOST_AUTO_TEST_CASE(stop_child_of_an_unknown_name_fails_with_no_such_child) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one, {}));
  caf::error err;
  self->send(sup, vigil::atom::stop_child_v, std::string{"nobody"});
  run();
  self->receive([&](caf::error& x) { err = std::move(x); },
                caf::after(0s) >> [] { BOOST_FAIL("no response"); });
  BOOST_TEST(has_code(err, vigil::ec::no_such_child));
}

BOOST_AUTO_TEST_CASE(start_child_adds_a_supervised_child) {
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one, {worker_spec("a")}));
  caf::actor started;
  self->send(sup, vigil::atom::start_child_v, worker_spec("dyn"));
  run();
  self->receive([&](caf::actor& x) { started = std::move(x); },
                caf::after(0s) >> [] { BOOST_FAIL("no response"); });
  BOOST_REQUIRE(static_cast<bool>(started));
  auto xs = children(sup);
  BOOST_REQUIRE_EQUAL(xs.size(), 2u);
  BOOST_TEST(xs[1].name == "dyn");
  BOOST_TEST((xs[1].actor == started));
  BOOST_TEST(count(supervisor_event::started, "dyn") == 1u);
  crash(started);
  advance(100ms);
  BOOST_TEST(child(sup, "dyn").alive);
  BOOST_TEST((child(sup, "dyn").actor != started));
  // A second child of the same name is refused.
  caf::error err;
  self->send(sup, vigil::atom::start_child_v, worker_spec("dyn"));
  run();
  self->receive([&](caf::error& x) { err = std::move(x); },
                caf::after(0s) >> [] { BOOST_FAIL("no response"); });
  BOOST_TEST(has_code(err, vigil::ec::duplicate_child));
}

BOOST_AUTO_TEST_CASE(start_child_reports_a_start_function_without_actor) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one, {}));
  child_spec spec;
  spec.name = "broken";
  spec.start = [](caf::actor_system&) { return caf::actor{}; };
  caf::error err;
  self->send(sup, vigil::atom::start_child_v, spec);
  run();
  self->receive([&](caf::error& x) { err = std::move(x); },
                caf::after(0s) >> [] { BOOST_FAIL("no response"); });
  BOOST_TEST(has_code(err, vigil::ec::child_start_failed));
  BOOST_TEST(children(sup).empty());
}

BOOST_AUTO_TEST_CASE(an_initial_child_that_fails_to_start_stops_the_rest) {
  child_spec broken;
  broken.name = "broken";
  broken.start = [](caf::actor_system&) { return caf::actor{}; };
  auto sup = vigil::spawn_supervisor_actor(
      sys, make_spec("root", restart_strategy::one_for_one,
                     {worker_spec("a"), broken, worker_spec("c")}));
  self->monitor(sup);
  run();
  BOOST_TEST(has_code(down_reason(sup), vigil::ec::child_start_failed));
  BOOST_TEST(*exits == std::vector<std::string>{"a"});
  BOOST_TEST(starts["c"] == 0);
}

BOOST_AUTO_TEST_CASE(shutdown_stops_children_in_reverse_order) {
  auto sup = spawn_root(
      make_spec("root", restart_strategy::one_for_one,
                {worker_spec("a"), worker_spec("b"), worker_spec("c")}));
  self->monitor(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
  BOOST_TEST(has_code(down_reason(sup), caf::exit_reason::user_shutdown));
  BOOST_TEST(*exits == (std::vector<std::string>{"c", "b", "a"}));
  BOOST_TEST(count(supervisor_event::restarting, "c") == 0u);
}

BOOST_AUTO_TEST_CASE(the_shutdown_message_stops_the_supervisor_normally) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one,
                                  {worker_spec("a"), worker_spec("b")}));
  self->monitor(sup);
  caf::anon_send(sup, vigil::atom::shutdown_v);
  run();
  BOOST_TEST(has_code(down_reason(sup), caf::exit_reason::normal));
  BOOST_TEST(*exits == (std::vector<std::string>{"b", "a"}));
}

BOOST_AUTO_TEST_CASE(a_child_ignoring_shutdown_is_killed_after_the_timeout) {
  child_spec stubborn;
  stubborn.name = "stubborn";
  stubborn.start = [](caf::actor_system& sys) {
    return sys.spawn(stubborn_worker, std::string{"stubborn"});
  };
  auto spec = make_spec("root", restart_strategy::one_for_one,
                        {worker_spec("a"), stubborn});
  spec.shutdown_timeout = 500ms;
  auto sup = spawn_root(std::move(spec));
  self->monitor(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  run();
  advance(499ms);
  BOOST_TEST(exits->empty());
  BOOST_TEST(count(supervisor_event::stopped, "stubborn") == 0u);
  advance(1ms);
  BOOST_TEST(has_code(down_reason(sup), caf::exit_reason::user_shutdown));
  auto stopped = last(supervisor_event::stopped, "stubborn");
  BOOST_REQUIRE(stopped != nullptr);
  BOOST_TEST(stopped->reason.find("kill") != std::string::npos,
             stopped->reason);
  BOOST_TEST(*exits == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(a_failed_restart_is_retried_after_a_longer_backoff) {
  // The second start fails; the third succeeds.
  child_spec flaky;
  flaky.name = "flaky";
  flaky.start = [this](caf::actor_system& sys) {
    if (++starts["flaky"] == 2)
      return caf::actor{};
    return sys.spawn(worker, std::string{"flaky"}, exits);
  };
  auto sup
      = spawn_root(make_spec("root", restart_strategy::one_for_one, {flaky}));
  crash(child(sup, "flaky").actor);
  advance(100ms);
  BOOST_TEST(starts["flaky"] == 2);
  BOOST_TEST(!child(sup, "flaky").alive);
  auto failed = last(supervisor_event::failed, "flaky");
  BOOST_TEST(failed->reason.find("vigil") != std::string::npos, failed->reason);
  BOOST_TEST(last(supervisor_event::restarting, "flaky")->delay.count() == 200);
  advance(199ms);
  BOOST_TEST(!child(sup, "flaky").alive);
  advance(1ms);
  BOOST_TEST(child(sup, "flaky").alive);
  BOOST_TEST(child(sup, "flaky").restarts == 1u);
}

BOOST_AUTO_TEST_CASE(a_killed_supervisor_still_tells_its_children_to_stop) {
  auto sup = spawn_root(make_spec("root", restart_strategy::one_for_one,
                                  {worker_spec("a"), worker_spec("b")}));
  auto a = child(sup, "a").actor;
  self->monitor(a);
  caf::anon_send_exit(sup, caf::exit_reason::kill);
  run();
  BOOST_TEST(has_code(down_reason(a), caf::exit_reason::user_shutdown));
  BOOST_TEST(exits->size() == 2u);
}

BOOST_AUTO_TEST_CASE(the_vigil_error_category_renders_code_names) {
  caf::actor_system_config cfg;
  vigil::add_error_category(cfg);
  auto i = cfg.error_renderers.find(caf::atom("vigil"));
  BOOST_REQUIRE(i != cfg.error_renderers.end());
  auto err = caf::make_error(vigil::ec::restart_intensity_exceeded, "a", "x");
  auto text = i->second(err.code(), err.category(), err.context());
  BOOST_TEST(text.find("vigil::restart_intensity_exceeded") == 0u, text);
  BOOST_TEST(text.find("\"a\"") != std::string::npos, text);
  BOOST_TEST(vigil::to_string(vigil::ec::invalid_config) == "invalid_config");
}

BOOST_AUTO_TEST_SUITE_END()
