/**
 * @file net/device.h
 * @brief Devices: refcounted factories of layers bound to a medium.
 *
 * A device driver (TAP, the in-memory pair, ...) creates the layers that
 * sit on its medium through one entry point, so one driver can offer
 * several layer types.  The created layer holds a reference on its device;
 * the device keeps no reference on its layers.
 */
#ifndef NET_DEVICE_H_
#define NET_DEVICE_H_

#include <net/types.h>
#include <net/layer.h>
#include <stdatomic.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Layer types a device may create (fourcc-style values). */
enum net_layer_type_e
{
  NET_LAYER_ETHERNET = 0x45544820, /* 'ETH ' */
};

/**
 * Delegate of layers created by a device: the base vtable plus link
 * events.  Drivers call link_changed in scheduler context.
 */
struct net_device_delegate_vtable_s
{
  struct net_layer_delegate_vtable_s base;
  void (*link_changed)(void *delegate, struct net_layer_s *layer, bool up);
};

struct net_device_ops_s
{
  /** Create a layer of @p type on the device's medium; @p params is
      type-specific (may be NULL for defaults).  @p vtable may be NULL. */
  int (*layer_create)(struct net_device_s *dev, uint32_t type,
                      const void *params, void *delegate,
                      const struct net_device_delegate_vtable_s *vtable,
                      struct net_layer_s **layer);
  /** Free the device (last reference dropped). */
  void (*destroyed)(struct net_device_s *dev);
};

struct net_device_s
{
  atomic_uint refcount;
  const struct net_device_ops_s *ops;
  struct net_scheduler_s *scheduler;
  char name[32];
};

/** Initialise an embedded device with one reference (for drivers). */
void net_device_init(struct net_device_s *dev, const struct net_device_ops_s *ops,
                     struct net_scheduler_s *sched, const char *name);

struct net_device_s *net_device_refinc(struct net_device_s *dev);
void net_device_refdec(struct net_device_s *dev);

/**
 * Create a layer of @p type on @p dev.  On success *@p layer holds one
 * reference owned by the caller.
 * @return 0, -EPROTONOSUPPORT (type not offered), -EBUSY (only one such
 * layer per device), -ENOMEM, or a driver error.
 */
int net_device_layer_create(struct net_device_s *dev, uint32_t type,
                            const void *params, void *delegate,
                            const struct net_device_delegate_vtable_s *vtable,
                            struct net_layer_s **layer);

#ifdef __cplusplus
}
#endif

#endif
