/**
 * @file net/types.h
 * @brief Basic types shared by every libnetwork header.
 *
 * Times are unsigned 64-bit nanoseconds on the scheduler's clock
 * (monotonic, or virtual on a simulating loop scheduler).  Errors are
 * negative errno values (-ENOMEM, -EINVAL, ...); 0 is success.
 */
#ifndef NET_TYPES_H_
#define NET_TYPES_H_

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Nanoseconds on a scheduler clock. */
typedef uint64_t net_time_t;

#define NET_NSEC_PER_USEC UINT64_C(1000)       /**< nanoseconds in a microsecond */
#define NET_NSEC_PER_MSEC UINT64_C(1000000)    /**< nanoseconds in a millisecond */
#define NET_NSEC_PER_SEC  UINT64_C(1000000000) /**< nanoseconds in a second */

/** A deadline that never comes. */
#define NET_TIME_NEVER UINT64_MAX

/** Log domain of every message the library emits through g_log. */
#define NET_LOG_DOMAIN "libnetwork"

/** Get the enclosing structure from a pointer to one of its members. */
#define net_container_of(ptr, type, member) \
  ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct net_layer_s;
struct net_task_s;
struct net_scheduler_s;
struct net_buffer_s;
struct net_buffer_pool_s;
struct net_device_s;

/** One named counter, as reported by a layer's @c stats method. */
struct net_stat_s
{
  const char *name;   /**< static string, e.g. "drop_bad_checksum" */
  uint64_t value;     /**< the counter's value when it was read */
};

#ifdef __cplusplus
}
#endif

#endif
