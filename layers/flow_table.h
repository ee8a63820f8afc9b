/* The fast-path classifier a link layer hosts (layers/flow.c), used by
   the Ethernet layer: a table of registered flows, touched only in the
   link layer's own context (requests arrive as its tasks), so no lock. */
#ifndef NET_LAYERS_FLOW_TABLE_H_
#define NET_LAYERS_FLOW_TABLE_H_

#include <net/layer/flow.h>
#include <net/buffer.h>
#include <net/addr.h>

struct net_flow_table_s;

/* An empty table, or NULL (-ENOMEM). */
struct net_flow_table_s *net_flow_table_new(void);

/* Free the table and drop the references of its entries (NULL is fine). */
void net_flow_table_free(struct net_flow_table_s *t);

/* Flows registered now. */
size_t net_flow_table_count(const struct net_flow_table_s *t);

/* Apply a delivered flow request (the caller destroys the task); true
   when it registered the flow (the caller then sends the
   NET_FLOW_OP_ACTIVE marker, net_flow_activate()). */
bool net_flow_table_request(struct net_flow_table_s *t, struct net_flow_task_s *ft);

/* @p frame begins at its Ethernet header (IPv4 ethertype, to our MAC).
   The layer of a registered flow that may take it directly: the frame is
   then trimmed to its datagram and pulled to its TCP header, @p src and
   @p dst filled as IPv4 would deliver them.  NULL, with the frame
   untouched, for the slow path. */
struct net_layer_s *net_flow_classify(const struct net_flow_table_s *t,
                                      struct net_buffer_s *frame,
                                      struct net_addr_s *src,
                                      struct net_addr_s *dst);

#endif
