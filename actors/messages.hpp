#pragma once

// Every message type exchanged by vigil's actors is announced here, in one
// type id block, together with the atoms of the pipeline. The structs live
// with the stage whose actors receive them:
//
//   actors/ingest/messages.hpp     source, partition tasks, dead letters
//   actors/aggregate/messages.hpp  partition tasks to the merger
//   actors/cluster/messages.hpp    ingest nodes and the store's coordinator
//   actors/detect/messages.hpp     merger to detector, narrator, database
//   actors/console/messages.hpp    `vigil console` to a node
//   runtime/supervisor.hpp         supervision (child_status and its atoms)
//
// The sink's contract: the database writer takes `result_batch` (from the
// narrator), stores it in one transaction and, for a batch that closes a
// checkpoint, asks the dead-letter producer to `atom::flush`, stores the
// positions with the checkpoint and sends `checkpoint_durable` to the
// batch's `durable_to`. `(atom::flush)` is answered once everything sent
// before it is stored.
//
// Type ids are assigned in the order below: append, never reorder, so that
// nodes of different builds agree on them.

#include "actors/aggregate/messages.hpp"
#include "actors/cluster/messages.hpp"
#include "actors/console/messages.hpp"
#include "actors/detect/messages.hpp"
#include "actors/ingest/messages.hpp"
#include "runtime/supervisor.hpp"

#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(vigil, caf::first_custom_type_id)

// -- ingest, aggregate and results
CAF_ADD_TYPE_ID(vigil, (vigil::record_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_end))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_barrier))
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter))
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::window_partial))
CAF_ADD_TYPE_ID(vigil, (vigil::task_counters))
CAF_ADD_TYPE_ID(vigil, (vigil::partial_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::watermark_update))
CAF_ADD_TYPE_ID(vigil, (vigil::window_row))
CAF_ADD_TYPE_ID(vigil, (vigil::anomaly_row))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_offset))
CAF_ADD_TYPE_ID(vigil, (vigil::result_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::checkpoint_durable))
CAF_ADD_TYPE_ID(vigil, (vigil::checkpoint_begin))
CAF_ADD_TYPE_ID(vigil, (vigil::pipeline_stats))

// -- supervision (the atoms are declared by runtime/supervisor.hpp)
CAF_ADD_TYPE_ID(vigil, (vigil::child_status))

// -- pipeline control
CAF_ADD_ATOM(vigil, vigil::atom, poll, "poll")
CAF_ADD_ATOM(vigil, vigil::atom, tick, "tick")
CAF_ADD_ATOM(vigil, vigil::atom, flush, "flush")
CAF_ADD_ATOM(vigil, vigil::atom, drained, "drained")
CAF_ADD_ATOM(vigil, vigil::atom, stats, "stats")
CAF_ADD_ATOM(vigil, vigil::atom, assign, "assign")
CAF_ADD_ATOM(vigil, vigil::atom, revoke, "revoke")
CAF_ADD_ATOM(vigil, vigil::atom, retry, "retry")
CAF_ADD_ATOM(vigil, vigil::atom, ack, "ack")
CAF_ADD_ATOM(vigil, vigil::atom, rollback, "rollback")

// -- operator console
CAF_ADD_TYPE_ID(vigil, (vigil::console_request))
CAF_ADD_TYPE_ID(vigil, (vigil::console_reply))

// -- incidents
CAF_ADD_TYPE_ID(vigil, (vigil::incident_row))

// -- dead letters
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter_positions))

// -- cluster
CAF_ADD_TYPE_ID(vigil, (vigil::node_hello))
CAF_ADD_TYPE_ID(vigil, (vigil::assignment_report))
CAF_ADD_TYPE_ID(vigil, (vigil::cluster_resume))
CAF_ADD_TYPE_ID(vigil, (vigil::cluster_barrier))
CAF_ADD_TYPE_ID(vigil, (vigil::node_heartbeat))
CAF_ADD_TYPE_ID(vigil, (vigil::coordinator_request))
CAF_ADD_TYPE_ID(vigil, (vigil::store_link_event))
CAF_ADD_TYPE_ID(vigil, (vigil::node_row))
CAF_ADD_TYPE_ID(vigil, (vigil::cluster_view))
CAF_ADD_ATOM(vigil, vigil::atom, nodes, "nodes")
CAF_ADD_ATOM(vigil, vigil::atom, final, "final")
CAF_ADD_TYPE_ID(vigil, (vigil::llm_reply))
CAF_ADD_ATOM(vigil, vigil::atom, rejoin, "rejoin")

CAF_END_TYPE_ID_BLOCK(vigil)
